/**
 * Pure parsers for the real data the risk tests read (the tests do the file I/O): CERT/CC's CSV
 * of CISA's SSVC table, CVE JSON 5 records (CISA ADP SSVC points, CVSS vectors), the CISA KEV
 * catalogue and FIRST EPSS CSV files. Deliberately independent of the feed readers in
 * packages/feeds, so that the core's tests do not depend on an adapter. Test support only.
 */
import type { KevEntry, SeverityRating, SsvcPoints } from '../../intel/advisory.ts';
import type { CisaSsvcRow, SsvcExploitation, SsvcOutcome } from '../cisa-ssvc-table.ts';

const EXPLOITATION: Record<string, SsvcExploitation> = {
  none: 'none',
  'public poc': 'poc',
  active: 'active',
};

/** Rows of `cisa_coordinator_2_0_3.csv` (header: row, Exploitation, Automatable, Technical Impact, MWI, CISA Levels). */
export function parseCisaTableCsv(text: string): CisaSsvcRow[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  if (!header?.startsWith('row,Exploitation')) throw new Error(`unexpected header: ${header}`);
  return lines.map((line) => {
    const [, exploitation = '', automatable, technicalImpact, missionWellbeing, outcome] = line.split(',');
    const mapped = EXPLOITATION[exploitation];
    if (!mapped) throw new Error(`unexpected exploitation value: ${exploitation}`);
    return {
      exploitation: mapped,
      automatable: automatable as CisaSsvcRow['automatable'],
      technicalImpact: technicalImpact as CisaSsvcRow['technicalImpact'],
      missionWellbeing: missionWellbeing as CisaSsvcRow['missionWellbeing'],
      outcome: outcome as SsvcOutcome,
    };
  });
}

type Json = Record<string, unknown>;

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((item): item is Json => !!item && typeof item === 'object') : [];
}

function lowerKey(name: string): keyof SsvcPoints | undefined {
  const folded = name.toLowerCase().replace(/[^a-z]/g, '');
  if (folded === 'exploitation') return 'exploitation';
  if (folded === 'automatable') return 'automatable';
  if (folded === 'technicalimpact') return 'technicalImpact';
  return undefined;
}

export interface Cve5Facts {
  id: string;
  state: string;
  /** CISA ADP SSVC points, when the record carries them. */
  ssvc?: SsvcPoints;
  /** The KEV date CISA's ADP container records, when it does. */
  kevDateAdded?: string;
  /** Every CVSS vector in the record, CNA first. */
  ratings: SeverityRating[];
}

const CVSS_KEYS: [key: string, type: string][] = [
  ['cvssV4_0', 'CVSS_V4'],
  ['cvssV3_1', 'CVSS_V3'],
  ['cvssV3_0', 'CVSS_V3'],
  ['cvssV2_0', 'CVSS_V2'],
];

export function cve5Facts(record: Json): Cve5Facts {
  const metadata = (record.cveMetadata ?? {}) as Json;
  const containers = (record.containers ?? {}) as Json;
  const facts: Cve5Facts = { id: String(metadata.cveId), state: String(metadata.state), ratings: [] };
  const all = [containers.cna as Json | undefined, ...records(containers.adp)].filter((c): c is Json => !!c);
  for (const container of all) {
    for (const metric of records(container.metrics)) {
      for (const [key, type] of CVSS_KEYS) {
        const cvss = metric[key] as Json | undefined;
        if (cvss && typeof cvss.vectorString === 'string')
          facts.ratings.push({ type, score: cvss.vectorString });
      }
      const other = metric.other as Json | undefined;
      const content = (other?.content ?? {}) as Json;
      if (other?.type === 'ssvc') {
        const points: Record<string, string> = {};
        for (const option of records(content.options)) {
          for (const [name, value] of Object.entries(option)) {
            const key = lowerKey(name);
            if (key && typeof value === 'string') points[key] = value.toLowerCase();
          }
        }
        facts.ssvc = points as SsvcPoints;
      }
      if (other?.type === 'kev' && typeof content.dateAdded === 'string')
        facts.kevDateAdded = content.dateAdded;
    }
  }
  return facts;
}

/** The KEV catalogue's entries, keyed by CVE id. */
export function kevCatalogue(json: Json): Map<string, KevEntry> {
  const entries = new Map<string, KevEntry>();
  for (const raw of records(json.vulnerabilities)) {
    const entry: KevEntry = {
      cveId: String(raw.cveID),
      vendorProject: String(raw.vendorProject),
      product: String(raw.product),
      vulnerabilityName: String(raw.vulnerabilityName),
      dateAdded: String(raw.dateAdded),
      dueDate: String(raw.dueDate),
      knownRansomwareCampaignUse: String(raw.knownRansomwareCampaignUse),
      requiredAction: String(raw.requiredAction),
      cwes: Array.isArray(raw.cwes) ? raw.cwes.map(String) : [],
    };
    entries.set(entry.cveId, entry);
  }
  return entries;
}

export interface EpssRow {
  cve: string;
  epss: number;
  percentile?: number;
  date?: string;
}

/** A FIRST EPSS daily file: optional `#model_version:...,score_date:...` line, then `cve,epss[,percentile]`. */
export function parseEpssCsv(text: string): EpssRow[] {
  const lines = text.trimEnd().split('\n');
  let date: string | undefined;
  if (lines[0]?.startsWith('#')) {
    date = /score_date:(\d{4}-\d{2}-\d{2})/.exec(lines.shift() ?? '')?.[1];
  }
  const header = (lines.shift() ?? '').split(',');
  const percentileAt = header.indexOf('percentile');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: EpssRow = { cve: cells[0] ?? '', epss: Number(cells[1]) };
    if (percentileAt >= 0) row.percentile = Number(cells[percentileAt]);
    if (date) row.date = date;
    return row;
  });
}
