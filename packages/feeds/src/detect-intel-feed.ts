/**
 * The readers for per-CVE intelligence (scoring, exploitation, weaknesses), in the order a
 * format detector should try them. Their `sniff` functions are strict, so none of them claims an
 * OSV or distro advisory file.
 */
import { cve5Reader } from './cve5/cve5-reader.ts';
import { cweReader } from './cwe/cwe-reader.ts';
import { epssReader } from './epss/epss-reader.ts';
import type { FeedReader } from './feed-record.ts';
import { kevReader } from './kev/kev-reader.ts';
import { nvdReader } from './nvd/nvd-reader.ts';

export const INTEL_READERS: readonly FeedReader[] = [nvdReader, cve5Reader, kevReader, epssReader, cweReader];
