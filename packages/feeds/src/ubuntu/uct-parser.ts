import type { Advisory, AffectedPackage, Reference, SeverityRating } from '@patchwarden/core';
import type { JsonObject } from '../feed-input/json-shapes.ts';
import { ubuntuRelease } from './ubuntu-releases.ts';

/**
 * Parser for one Ubuntu CVE Tracker file (git.launchpad.net/ubuntu-cve-tracker, active/CVE-*),
 * RFC 822-like: `Field: value`, continuation lines start with a space, `#` starts a comment,
 * and per release and source package a status line
 *
 *   <release>_<source package>: <status> (<version or note>)
 *
 * (README "Package Status"). `released (v)` is fixed in v; needed, active, deferred, pending and
 * needs-triage leave the release affected with no fix; not-affected, DNE and ignored give no
 * affected entry (ignored ones are listed in database_specific, since "ignored" often means
 * "vulnerable but out of support"). upstream_, devel_ and snap/phone pockets are not releases.
 */
export interface UctProblem {
  line?: number;
  message: string;
}

export interface UctParseResult {
  advisory?: Advisory;
  problems: UctProblem[];
}

interface Field {
  line: number;
  value: string;
  more: string[];
}

const OPEN_STATUSES = new Set(['needed', 'active', 'deferred', 'pending', 'needs-triage']);
const RELEASED_STATUSES = new Set(['released', 'released-esm']);
const NO_ENTRY_STATUSES = new Set(['not-affected', 'DNE', 'ignored']);
const PRIORITIES = new Set(['negligible', 'low', 'medium', 'high', 'critical']);
const META_PREFIXES = new Set(['Patches', 'Tags', 'Priority']);
const FIELD_LINE = /^([^\s:#][^\s:]*):(.*)$/;

function splitFields(text: string, problems: UctProblem[]): Map<string, Field> {
  const fields = new Map<string, Field>();
  let current: Field | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, '');
    // Blank lines separate paragraphs inside Description/Notes; they do not end the field.
    if (content.trim() === '') return;
    if (content.startsWith('#')) return;
    if (/^\s/.test(content)) {
      if (current) current.more.push(content.trim());
      else problems.push({ line, message: 'continuation line outside any field' });
      return;
    }
    const match = FIELD_LINE.exec(content);
    if (!match) {
      problems.push({ line, message: `not a "Field: value" line: "${content.slice(0, 80)}"` });
      current = undefined;
      return;
    }
    const [, key = '', value = ''] = match;
    if (fields.has(key)) {
      problems.push({
        line,
        message: `duplicate field "${key}" (first at line ${fields.get(key)!.line}); kept the first`,
      });
      current = undefined;
      return;
    }
    current = { line, value: value.trim(), more: [] };
    fields.set(key, current);
  });
  return fields;
}

function allLines(field: Field | undefined): string[] {
  if (!field) return [];
  return [field.value, ...field.more].filter((text) => text !== '');
}

/** `2020-03-10 20:15:00 UTC` or `2020-03-10` -> RFC 3339; undefined for empty or other zones. */
function publicDate(text: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2})?)?\s*(UTC|GMT|Z)?$/.exec(text.trim());
  if (!match) return undefined;
  const [, day, time, seconds] = match;
  if (time !== undefined && match[4] === undefined) return undefined;
  const iso = `${day}T${time ?? '00:00'}${seconds ?? ':00'}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

function cvssType(vector: string): string {
  if (vector.startsWith('CVSS:4')) return 'CVSS_V4';
  if (vector.startsWith('CVSS:3')) return 'CVSS_V3';
  return /(^|\/)Au:/.test(vector) ? 'CVSS_V2' : 'CVSS';
}

/** `nvd: CVSS:3.1/AV:N/...` lines (the scorer, then the vector). */
function cvssRatings(field: Field | undefined): SeverityRating[] {
  const ratings: SeverityRating[] = [];
  for (const text of allLines(field)) {
    const vector = /(?:^|\s)((?:CVSS:\d\.\d\/)?AV:[A-Z][^\s]*)/.exec(text)?.[1];
    if (vector && !ratings.some((r) => r.score === vector))
      ratings.push({ type: cvssType(vector), score: vector });
  }
  return ratings;
}

function urls(field: Field | undefined, type: string): Reference[] {
  return allLines(field)
    .filter((text) => /^https?:\/\//.test(text))
    .map((url) => ({ type, url: url.split(/\s/)[0]! }));
}

/** `released (1.2-3)`, `released [1.2-3]`, `needed`, `ignored (end of life)`, `released (a, b)`. */
function statusOf(value: string): { status: string; note?: string } | undefined {
  // The brackets are optional because hand edits lose them: `not-affected 3.5.18-1ubuntu1.3)`.
  const match = /^([A-Za-z-]+)(?:\s*[([]?(.*?)[)\]]*)?\s*$/.exec(value);
  if (!match) return undefined;
  const note = match[2]?.trim();
  return note ? { status: match[1]!, note } : { status: match[1]! };
}

function fixedVersions(note: string | undefined): string[] {
  if (!note) return [];
  return (
    note
      .split(/,\s*|\s+and\s+/)
      .map((token) => token.trim())
      // `_` is outside Debian policy but occurs (`1:1.12_1.12.6-1+deb9u1build0.18.04.1`).
      .filter((token) => /^[A-Za-z0-9][A-Za-z0-9.+:~_-]*$/.test(token) && /\d/.test(token))
  );
}

export interface UctParseOptions {
  /** Used when the file's name says which CVE it is; a different Candidate is reported. */
  expectedId?: string;
  /** The file's last change (UCT files carry no modification date). */
  modified: string;
}

export function parseUctFile(text: string, options: UctParseOptions): UctParseResult {
  const problems: UctProblem[] = [];
  const fields = splitFields(text, problems);
  const candidate = fields.get('Candidate');
  const id = candidate?.value.split(/\s/)[0] ?? '';
  if (!/^[A-Z]+-\d{4}-\d+$/.test(id)) {
    problems.push({
      line: candidate?.line,
      message: candidate ? `Candidate "${id}" is not a CVE id` : 'no Candidate field',
    });
    return { problems };
  }
  if (options.expectedId !== undefined && options.expectedId !== id) {
    problems.push({
      line: candidate?.line,
      message: `Candidate ${id} does not match the file name ${options.expectedId}`,
    });
  }
  const advisory: Advisory = {
    id,
    aliases: [],
    related: [],
    source: 'ubuntu-uct',
    modified: options.modified,
    severity: [],
    cwes: [],
    affected: [],
    references: [
      { type: 'ADVISORY', url: `https://ubuntu.com/security/${id}` },
      ...urls(fields.get('References'), 'WEB'),
      ...urls(fields.get('Bugs'), 'REPORT'),
    ],
  };
  const databaseSpecific: JsonObject = {};
  const published = fields.get('PublicDate');
  if (published && published.value !== '') {
    const iso = publicDate(published.value);
    if (iso) advisory.published = iso;
    else problems.push({ line: published.line, message: `PublicDate "${published.value}" is not a date` });
  }
  const description = allLines(fields.get('Description')).join(' ');
  if (description !== '') advisory.details = description;
  const ubuntuDescription = allLines(fields.get('Ubuntu-Description')).join(' ');
  if (ubuntuDescription !== '') databaseSpecific['ubuntu_description'] = ubuntuDescription;
  const notes = allLines(fields.get('Notes'));
  if (notes.length > 0) databaseSpecific['notes'] = notes.join('\n');
  const mitigation = allLines(fields.get('Mitigation'));
  if (mitigation.length > 0) databaseSpecific['mitigation'] = mitigation.join('\n');

  const priority = fields.get('Priority')?.value.split(/\s/)[0];
  if (priority) {
    databaseSpecific['ubuntu_priority'] = priority;
    if (PRIORITIES.has(priority)) advisory.severity.push({ type: 'Ubuntu', score: priority });
  }
  advisory.severity.push(...cvssRatings(fields.get('CVSS')));

  // Package names cannot contain "_" (Debian policy), so the first one ends the release name.
  const priorities = new Map<string, string>();
  for (const [key, field] of fields) {
    const value = field.value.split(/\s/)[0];
    if (key.startsWith('Priority_') && value) priorities.set(key.slice('Priority_'.length), value);
  }
  const ignored: JsonObject[] = [];
  const unknownReleases = new Set<string>();
  for (const [key, field] of fields) {
    const underscore = key.indexOf('_');
    if (underscore < 0) continue;
    const head = key.slice(0, underscore);
    const rest = key.slice(underscore + 1);
    if (META_PREFIXES.has(head)) continue;
    const release = ubuntuRelease(head);
    if (release.kind === 'skip') continue;
    if (release.kind === 'unknown') {
      if (!unknownReleases.has(head)) {
        unknownReleases.add(head);
        problems.push({
          line: field.line,
          message: `unknown Ubuntu release "${head}"; its lines are skipped`,
        });
      }
      continue;
    }
    const state = statusOf(field.value);
    if (
      !state ||
      !(
        OPEN_STATUSES.has(state.status) ||
        RELEASED_STATUSES.has(state.status) ||
        NO_ENTRY_STATUSES.has(state.status)
      )
    ) {
      problems.push({ line: field.line, message: `${key}: unknown status "${field.value}"` });
      continue;
    }
    if (state.status === 'ignored') {
      ignored.push({ ecosystem: release.ecosystem, name: rest, ...(state.note ? { note: state.note } : {}) });
      continue;
    }
    if (NO_ENTRY_STATUSES.has(state.status)) continue;
    const entry: AffectedPackage = {
      ecosystem: release.ecosystem,
      name: rest,
      ranges: [],
      versions: [],
      database_specific: { ubuntu_status: state.status, ...(state.note ? { ubuntu_note: state.note } : {}) },
    };
    if (RELEASED_STATUSES.has(state.status)) {
      const versions = fixedVersions(state.note);
      if (versions.length === 0) {
        problems.push({ line: field.line, message: `${key}: "${state.status}" without a fixed version` });
        continue;
      }
      // Several versions (rare, hand-edited) each get a range: their union ends at the latest fix.
      for (const fixed of versions)
        entry.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] });
    } else {
      entry.ranges.push({ type: 'ECOSYSTEM', events: [{ introduced: '0' }] });
    }
    const override = priorities.get(`${rest}_${head}`) ?? priorities.get(rest);
    if (override && PRIORITIES.has(override)) entry.severity = [{ type: 'Ubuntu', score: override }];
    advisory.affected.push(entry);
  }
  if (ignored.length > 0) databaseSpecific['ubuntu_ignored'] = ignored;
  if (Object.keys(databaseSpecific).length > 0) advisory.database_specific = databaseSpecific;
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { advisory, problems };
}
