import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';
import { inputError } from '../feed-input/input-error.ts';
import { issue } from '../feed-input/issue.ts';
import { fileStat, openInput } from '../feed-input/open-input.ts';
import { readHead } from '../feed-input/read-head.ts';
import { readSmallFile } from '../feed-input/read-small-file.ts';
import type { SmallFile } from '../feed-input/read-small-file.ts';
import { readText } from '../feed-input/read-text.ts';
import { isNewer, sinceMillis } from '../feed-input/since.ts';
import { tarEntries } from '../feed-input/tar-entries.ts';
import { walkFiles } from '../feed-input/walk-files.ts';
import { parseUctFile } from './uct-parser.ts';

/** UCT names each file after its CVE, with no extension (`active/CVE-2020-0034`). */
const CVE_FILE = /^CVE-\d{4}-\d+$/;
/** The largest real UCT file is ~100 KB (kernel CVEs list every linux-* package). */
const MAX_CVE_FILE_BYTES = 4 * 1024 * 1024;

function* recordsOf(
  text: string,
  file: string,
  modified: string,
  since: number | undefined,
): Generator<FeedRecord> {
  const name = basename(file);
  const options = CVE_FILE.test(name) ? { expectedId: name, modified } : { modified };
  const { advisory, problems } = parseUctFile(text, options);
  const record = advisory?.id ?? options.expectedId;
  for (const problem of problems) {
    const where: { line?: number; record?: string } = {};
    if (problem.line !== undefined) where.line = problem.line;
    if (record !== undefined) where.record = record;
    yield issue(file, problem.message, where);
  }
  if (advisory && isNewer(advisory.modified, since)) yield { kind: 'advisory', advisory };
}

async function* fromTar(
  path: string,
  options: ReadOptions,
  since: number | undefined,
): AsyncGenerator<FeedRecord> {
  const input = await openInput(path, { onBytes: (bytes) => options.onProgress?.(bytes, input.size) });
  try {
    for await (const entry of tarEntries(input.stream, path, { maxEntryBytes: MAX_CVE_FILE_BYTES })) {
      if (entry.type !== 'file' || !CVE_FILE.test(basename(entry.path))) continue;
      const file = `${path}!/${entry.path}`;
      if (entry.content === undefined) {
        yield issue(file, `${entry.size} bytes is too large for a CVE file`, {
          record: basename(entry.path),
        });
        continue;
      }
      // git archive stamps every entry with the commit time, a fair "last changed" for the tree.
      yield* recordsOf(entry.content.toString('utf8'), file, entry.mtime.toISOString(), since);
    }
  } catch (thrown) {
    throw inputError(thrown, path);
  } finally {
    input.stream.destroy();
  }
}

async function* fromDirectory(
  root: string,
  options: ReadOptions,
  since: number | undefined,
): AsyncGenerator<FeedRecord> {
  let bytes = 0;
  for await (const file of walkFiles(root, (name) => CVE_FILE.test(name))) {
    let small: SmallFile;
    try {
      small = await readSmallFile(file, MAX_CVE_FILE_BYTES);
    } catch (thrown) {
      yield issue(file, inputError(thrown, file).message, { record: basename(file) });
      continue;
    }
    bytes += small.size;
    yield* recordsOf(small.text, file, small.mtime.toISOString(), since);
    options.onProgress?.(bytes, undefined);
  }
}

async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<FeedRecord> {
  const since = sinceMillis(options.since);
  const info = await fileStat(path);
  if (info.isDirectory) {
    yield* fromDirectory(path, options, since);
    return;
  }
  if (isTar(path, await readHead(path, 512))) {
    yield* fromTar(path, options, since);
    return;
  }
  const input = await openInput(path, { onBytes: (bytes) => options.onProgress?.(bytes, input.size) });
  const text = await readText(input.stream, path, MAX_CVE_FILE_BYTES);
  yield* recordsOf(text, path, input.mtime.toISOString(), since);
}

function isTar(path: string, head: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(path) || head.slice(257, 262) === 'ustar';
}

/** A UCT checkout holds CVE files directly or under active/, retired/, ignored/. */
function looksLikeUctDirectory(root: string): boolean {
  for (const dir of [root, join(root, 'active'), join(root, 'retired')]) {
    try {
      if (readdirSync(dir).some((name) => CVE_FILE.test(name))) return true;
    } catch {
      // not there
    }
  }
  return false;
}

function sniff(path: string, head: string): boolean {
  if (head === '') return looksLikeUctDirectory(path);
  // Inside a tar a file's text follows NUL padding, not a newline.
  const uctFields = /(^|[\n\0])Candidate:/.test(head) && /(^|[\n\0])PublicDate:/.test(head);
  if (head.slice(257, 262) === 'ustar')
    return uctFields || /ubuntu-cve-tracker\/|(^|\/|\0)(active|retired)\/CVE-\d{4}-/.test(head);
  return uctFields;
}

/** Ubuntu CVE Tracker files, from a checkout, a tarball of one (optionally gzipped) or one file. */
export const ubuntuUctReader: FeedReader = Object.freeze({ feed: 'ubuntu-uct', sniff, read });
