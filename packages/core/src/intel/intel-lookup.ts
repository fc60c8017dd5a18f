import type { CveRecord, CweEntry, EpssScore, KevEntry } from './advisory.ts';

/** Read access to per-CVE intelligence; implemented by stores in the adapters. */
export interface IntelLookup {
  cve(id: string): CveRecord | undefined;
  kev(id: string): KevEntry | undefined;
  epss(id: string): EpssScore | undefined;
  cwe(id: string): CweEntry | undefined;
}

export const EMPTY_INTEL: IntelLookup = {
  cve: () => undefined,
  kev: () => undefined,
  epss: () => undefined,
  cwe: () => undefined,
};
