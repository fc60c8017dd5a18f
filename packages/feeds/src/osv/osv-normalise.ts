import type {
  Advisory,
  AffectedPackage,
  AffectedRange,
  RangeEvent,
  RangeType,
  Reference,
  SeverityRating,
} from '@patchwarden/core';
import { isNonEmptyString, isObject, stringArray } from '../feed-input/json-shapes.ts';
import type { JsonObject } from '../feed-input/json-shapes.ts';

export type OsvNormaliseResult =
  { ok: true; advisory: Advisory } | { ok: false; id?: string; message: string };

/** RFC 3339 as OSV writes it; fractional seconds of any length (Ubuntu writes microseconds). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const RANGE_TYPES: ReadonlySet<string> = new Set<RangeType>(['ECOSYSTEM', 'SEMVER', 'GIT']);
const EVENT_KEYS: ReadonlySet<string> = new Set(['introduced', 'fixed', 'last_affected', 'limit']);

/** Thrown inside the normaliser only; becomes `{ ok: false }` carrying the path of the bad field. */
class InvalidRecord extends Error {}

function fail(path: string, message: string): never {
  throw new InvalidRecord(path ? `${path}: ${message}` : message);
}

/**
 * Checks one OSV record (https://ossf.github.io/osv-schema/) and converts it into our Advisory.
 * The checks are the schema's structural rules that matching relies on; a record that breaks one
 * is refused as a whole, because importing it partly could hide an affected range.
 */
export function normaliseOsv(raw: unknown, source = 'osv'): OsvNormaliseResult {
  const id = isObject(raw) && isNonEmptyString(raw['id']) ? raw['id'] : undefined;
  try {
    return { ok: true, advisory: toAdvisory(raw, source) };
  } catch (thrown) {
    if (!(thrown instanceof InvalidRecord)) throw thrown;
    return id === undefined
      ? { ok: false, message: thrown.message }
      : { ok: false, id, message: thrown.message };
  }
}

function toAdvisory(raw: unknown, source: string): Advisory {
  if (!isObject(raw)) fail('', 'record is not a JSON object');
  if (!isNonEmptyString(raw['id'])) fail('', 'missing required field `id`');
  if (raw['modified'] === undefined) fail('', 'missing required field `modified`');
  const advisory: Advisory = {
    id: raw['id'],
    aliases: strings(raw, 'aliases', ''),
    related: strings(raw, 'related', ''),
    source,
    modified: timestamp(raw, 'modified'),
    severity: severities(raw['severity'], 'severity'),
    cwes: [],
    affected: affectedList(raw['affected']),
    references: references(raw['references']),
  };
  const schemaVersion = optionalString(raw, 'schema_version', '');
  if (schemaVersion !== undefined) advisory.schema_version = schemaVersion;
  for (const field of ['published', 'withdrawn'] as const) {
    if (raw[field] !== undefined && raw[field] !== '') advisory[field] = timestamp(raw, field);
  }
  for (const field of ['summary', 'details'] as const) {
    const text = optionalString(raw, field, '');
    if (text !== undefined) advisory[field] = text;
  }
  const databaseSpecific = optionalObject(raw, 'database_specific', '');
  advisory.cwes = cweIds(databaseSpecific?.['cwe_ids']);
  const extra: JsonObject = {};
  const priority = ubuntuPriority(advisory);
  if (priority !== undefined) extra['ubuntu_priority'] = priority;
  // OSV 1.7 `upstream` (Ubuntu puts the CVE there, not in aliases).
  const upstream = strings(raw, 'upstream', '');
  if (upstream.length > 0) advisory.upstream = upstream;
  if (databaseSpecific !== undefined || Object.keys(extra).length > 0) {
    advisory.database_specific = { ...extra, ...databaseSpecific };
  }
  return advisory;
}

function timestamp(record: JsonObject, field: string): string {
  const value = record[field];
  if (typeof value !== 'string') fail(field, 'must be a string');
  if (!RFC3339.test(value)) fail(field, `"${value}" is not an RFC 3339 date-time`);
  return value;
}

function strings(record: JsonObject, field: string, at: string): string[] {
  const list = stringArray(record[field]);
  if (list === undefined) fail(join(at, field), 'must be an array of strings');
  return list;
}

function optionalString(record: JsonObject, field: string, at: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(join(at, field), 'must be a string');
  return value;
}

function optionalObject(record: JsonObject, field: string, at: string): JsonObject | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(join(at, field), 'must be an object');
  return value;
}

function join(at: string, field: string): string {
  return at ? `${at}.${field}` : field;
}

function severities(value: unknown, at: string): SeverityRating[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(at, 'must be an array');
  return value.map((item, i) => {
    if (!isObject(item) || !isNonEmptyString(item['type']) || typeof item['score'] !== 'string') {
      fail(`${at}[${i}]`, 'must be an object with string `type` and `score`');
    }
    return { type: item['type'], score: item['score'] };
  });
}

function references(value: unknown): Reference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('references', 'must be an array');
  return value.map((item, i) => {
    if (!isObject(item) || typeof item['type'] !== 'string' || typeof item['url'] !== 'string') {
      fail(`references[${i}]`, 'must be an object with string `type` and `url`');
    }
    return { type: item['type'], url: item['url'] };
  });
}

function affectedList(value: unknown): AffectedPackage[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('affected', 'must be an array');
  const out: AffectedPackage[] = [];
  value.forEach((item, i) => {
    const entry = affectedPackage(item, `affected[${i}]`);
    if (entry) out.push(entry);
  });
  return out;
}

/** An entry without `package` (allowed by OSV for pure GIT ranges) names nothing we can match. */
function affectedPackage(item: unknown, at: string): AffectedPackage | undefined {
  if (!isObject(item)) fail(at, 'is not an object');
  const ranges = rangeList(item['ranges'], `${at}.ranges`);
  const versions = strings(item, 'versions', at);
  const severity = severities(item['severity'], `${at}.severity`);
  const ecosystemSpecific = optionalObject(item, 'ecosystem_specific', at);
  const databaseSpecific = optionalObject(item, 'database_specific', at);
  const pkg = optionalObject(item, 'package', at);
  if (pkg === undefined) return undefined;
  if (!isNonEmptyString(pkg['ecosystem'])) fail(`${at}.package`, 'missing `ecosystem`');
  if (!isNonEmptyString(pkg['name'])) fail(`${at}.package`, 'missing `name`');
  const entry: AffectedPackage = { ecosystem: pkg['ecosystem'], name: pkg['name'], ranges, versions };
  const purl = optionalString(pkg, 'purl', `${at}.package`);
  if (purl !== undefined) entry.purl = purl;
  if (severity.length > 0) entry.severity = severity;
  const binaries = binaryNames(ecosystemSpecific?.['binaries']);
  if (binaries !== undefined) entry.binaries = binaries;
  if (ecosystemSpecific !== undefined) entry.ecosystem_specific = ecosystemSpecific;
  if (databaseSpecific !== undefined) entry.database_specific = databaseSpecific;
  return entry;
}

function rangeList(value: unknown, at: string): AffectedRange[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(at, 'must be an array');
  return value.map((item, i) => range(item, `${at}[${i}]`));
}

function range(item: unknown, at: string): AffectedRange {
  if (!isObject(item)) fail(at, 'is not an object');
  const type = item['type'];
  if (typeof type !== 'string' || !RANGE_TYPES.has(type)) {
    fail(`${at}.type`, `must be one of ECOSYSTEM, SEMVER, GIT (got ${JSON.stringify(type) ?? 'nothing'})`);
  }
  const events = item['events'];
  if (!Array.isArray(events) || events.length === 0) fail(at, 'range has no events');
  const out: AffectedRange = {
    type: type as RangeType,
    events: events.map((e, i) => event(e, `${at}.events[${i}]`)),
  };
  const repo = optionalString(item, 'repo', at);
  if (type === 'GIT' && !repo) fail(at, 'a GIT range needs `repo`');
  if (repo !== undefined) out.repo = repo;
  const databaseSpecific = optionalObject(item, 'database_specific', at);
  if (databaseSpecific !== undefined) out.database_specific = databaseSpecific;
  return out;
}

function event(item: unknown, at: string): RangeEvent {
  if (!isObject(item)) fail(at, 'event is not an object');
  const keys = Object.keys(item);
  if (keys.length !== 1 || !EVENT_KEYS.has(keys[0]!)) {
    fail(
      at,
      `event must have exactly one of introduced, fixed, last_affected, limit (has ${keys.join(', ') || 'none'})`,
    );
  }
  const key = keys[0]!;
  const version = item[key];
  if (!isNonEmptyString(version)) fail(`${at}.${key}`, 'must be a non-empty string');
  return { [key]: version } as RangeEvent;
}

/** Ubuntu writes `binaries: [{binary_name, binary_version}]`; older records list plain names. */
function binaryNames(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return isObject(value) ? Object.keys(value) : undefined;
  const names = new Set<string>();
  for (const item of value) {
    if (typeof item === 'string') names.add(item);
    else if (isObject(item) && isNonEmptyString(item['binary_name'])) names.add(item['binary_name']);
    else if (isObject(item) && isNonEmptyString(item['name'])) names.add(item['name']);
  }
  return [...names];
}

/** GHSA lists `cwe_ids: ["CWE-79"]`; numbers and bare digits are accepted and normalised. */
function cweIds(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const ids = new Set<string>();
  for (const item of value) {
    const match = /^(?:CWE-)?(\d+)$/i.exec(String(item).trim());
    if (match) ids.add(`CWE-${match[1]}`);
  }
  return [...ids];
}

function ubuntuPriority(advisory: Advisory): string | undefined {
  const rated = advisory.severity.find((s) => s.type === 'Ubuntu');
  if (rated) return rated.score;
  for (const entry of advisory.affected) {
    const priority = entry.ecosystem_specific?.['ubuntu_priority'];
    if (typeof priority === 'string') return priority;
  }
  return undefined;
}
