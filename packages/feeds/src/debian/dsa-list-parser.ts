/**
 * Parser for the security tracker's advisory lists (data/DSA/list, data/DLA/list, data/DTSA/list
 * in salsa.debian.org/security-tracker-team/security-tracker), newest entry first:
 *
 *   [29 Mar 2023] DSA-5380-1 xorg-server - security update
 *   \t{CVE-2023-1393}
 *   \t[bullseye] - xorg-server 2:1.20.11-1+deb11u6
 *   \tNOTE: fixed in testing at time of DSA
 *
 * Release lines carry a version or a marker (`<not-affected>`, `<unfixed>`, `<end-of-life>`), and
 * may end with a parenthesised note (DTSA: the urgency). Old entries indent with spaces, DTSA dates
 * are spelled out (`[August 26th, 2005]`), early DSAs have no revision (`DSA-135`) and use `--`.
 * Fed line by line so that the list is streamed; it yields an entry when the next one starts.
 */
export interface DsaReleaseLine {
  line: number;
  codename: string;
  package: string;
  version?: string;
  /** `not-affected`, `unfixed`, `end-of-life`... when there is no version. */
  marker?: string;
  note?: string;
}

export interface DsaEntry {
  id: string;
  line: number;
  /** `YYYY-MM-DD`. */
  date: string;
  packages: string[];
  summary?: string;
  ids: string[];
  releases: DsaReleaseLine[];
  notes: string[];
}

export type DsaParseEvent =
  { kind: 'entry'; entry: DsaEntry } | { kind: 'problem'; line: number; message: string; record?: string };

const HEADER = /^\[([^\]]*)\]\s*([A-Z]+-\d+(?:-\d+)?)\b\s*(.*)$/;
const RELEASE = /^\[([a-z0-9-]+)\]\s+-\s+(\S+)\s*(.*)$/;
const MONTHS: Readonly<Record<string, number>> = Object.freeze({
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
});

/** `29 Mar 2023` or `August 26th, 2005` -> `2023-03-29`, undefined when it is neither. */
export function parseListDate(text: string): string | undefined {
  const trimmed = text.trim();
  const short = /^(\d{1,2}) ([A-Za-z]{3,9}) (\d{4})$/.exec(trimmed);
  const long = /^([A-Za-z]{3,9}) (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/.exec(trimmed);
  const [day, monthName, year] = short
    ? [short[1], short[2], short[3]]
    : long
      ? [long[2], long[1], long[3]]
      : [];
  if (day === undefined || monthName === undefined || year === undefined) return undefined;
  const month = MONTHS[monthName.slice(0, 3).toLowerCase()];
  const dayNumber = Number(day);
  if (month === undefined || dayNumber < 1 || dayNumber > 31) return undefined;
  const date = `${year}-${String(month).padStart(2, '0')}-${day.padStart(2, '0')}`;
  // Rejects 31 Feb and the like, which Date would silently roll over.
  return new Date(`${date}T00:00:00Z`).toISOString().startsWith(date) ? date : undefined;
}

export class DsaListParser {
  #current: DsaEntry | undefined;
  /** Set while skipping the body of an entry whose header was refused. */
  #skipping = false;

  /** Feeds one line (without its newline); returns what it completed or found wrong. */
  push(text: string, line: number): DsaParseEvent[] {
    if (text.trim() === '') return [];
    if (!/^\s/.test(text)) return this.#header(text, line);
    if (this.#skipping) return [];
    const entry = this.#current;
    if (!entry) return [{ kind: 'problem', line, message: 'indented line before the first advisory' }];
    return this.#body(entry, text.trim(), line);
  }

  /** Completes the last entry at the end of the input. */
  end(): DsaParseEvent[] {
    const done = this.#current;
    this.#current = undefined;
    return done ? [{ kind: 'entry', entry: done }] : [];
  }

  #header(text: string, line: number): DsaParseEvent[] {
    const events = this.end();
    this.#skipping = true;
    const match = HEADER.exec(text);
    if (!match) {
      events.push({ kind: 'problem', line, message: `not an advisory header: "${text.slice(0, 80)}"` });
      return events;
    }
    const [, dateText = '', id = '', rest = ''] = match;
    const date = parseListDate(dateText);
    if (date === undefined) {
      events.push({ kind: 'problem', line, record: id, message: `unrecognised date "[${dateText}]"` });
      return events;
    }
    this.#skipping = false;
    const entry: DsaEntry = { id, line, date, packages: [], ids: [], releases: [], notes: [] };
    const split = /^(.*?)\s+--?\s+(.*)$/.exec(rest.trim());
    if (split) {
      entry.packages = split[1]!.split(/[\s,]+/).filter((name) => name !== '');
      if (split[2]!.trim() !== '') entry.summary = split[2]!.trim();
    } else if (rest.trim() !== '') {
      // Notices without " - " ("jessie end-of-life", "git-core"): packages cannot be told apart.
      entry.summary = rest.trim();
    }
    this.#current = entry;
    return events;
  }

  #body(entry: DsaEntry, text: string, line: number): DsaParseEvent[] {
    if (text.startsWith('{')) {
      if (!text.endsWith('}'))
        return [{ kind: 'problem', line, record: entry.id, message: 'unterminated {…} id list' }];
      const problems: DsaParseEvent[] = [];
      for (const token of text.slice(1, -1).split(/\s+/)) {
        if (token === '') continue;
        if (/^[A-Z]+-[0-9A-Za-z-]+$/.test(token)) {
          if (!entry.ids.includes(token)) entry.ids.push(token);
        } else {
          problems.push({ kind: 'problem', line, record: entry.id, message: `"${token}" is not an id` });
        }
      }
      return problems;
    }
    if (text.startsWith('NOTE:')) {
      entry.notes.push(text.slice('NOTE:'.length).trim());
      return [];
    }
    const release = RELEASE.exec(text);
    if (!release)
      return [
        { kind: 'problem', line, record: entry.id, message: `unrecognised line: "${text.slice(0, 80)}"` },
      ];
    const [, codename = '', pkg = '', rest = ''] = release;
    const parsed = /^(?:<([a-z-]+)>|([^\s<(]+))\s*(?:\((.*)\)?)?\s*$/.exec(rest);
    if (!parsed || (parsed[1] === undefined && parsed[2] === undefined)) {
      return [
        { kind: 'problem', line, record: entry.id, message: `[${codename}] ${pkg}: no version or <marker>` },
      ];
    }
    const item: DsaReleaseLine = { line, codename, package: pkg };
    if (parsed[1] !== undefined) item.marker = parsed[1];
    if (parsed[2] !== undefined) item.version = parsed[2];
    if (parsed[3] !== undefined && parsed[3].trim() !== '')
      item.note = parsed[3].replace(/\)\s*$/, '').trim();
    entry.releases.push(item);
    return [];
  }
}
