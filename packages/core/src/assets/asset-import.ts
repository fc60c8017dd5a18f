import { PatchwardenError, pwError } from '../errors/index.ts';
import { osEcosystem } from '../inventory/os-ecosystem.ts';
import type { AssetClass, AssetKind, AssetOs, BusinessImpact, DataSensitivity, Exposure } from './asset.ts';
import { ASSET_KINDS, DATA_SENSITIVITIES, EXPOSURES } from './asset.ts';
import { asciiLower, normalizeDnsName, normalizeIp, normalizeMac } from './asset-identity.ts';
import type { AssetFacts } from './asset-merge.ts';
import { normalizeAssetFacts } from './asset-merge.ts';
import { closestName } from './closest-name.ts';

/**
 * Validation of imported asset lists (network gear, IoT, handhelds: what no agent reports) into
 * `AssetFacts`. Pure: the CSV and JSON readers in @patchwarden/inventory turn text into records,
 * the API hands over JSON bodies, and both come here, so a row is judged the same way wherever it
 * came from. Every error names the file, line, field and (for CSV) column.
 */

export const ASSET_IMPORT_COLUMNS = [
  'name',
  'kind',
  'hostname',
  'fqdn',
  'ips',
  'macs',
  'os',
  'os_version',
  'environment',
  'business_impact',
  'exposure',
  'data_sensitivity',
  'owner_team',
  'services',
  'location',
  'time_zone',
  'tags',
  'asset_classes',
] as const;
export type AssetImportColumn = (typeof ASSET_IMPORT_COLUMNS)[number];

const COLUMN_ALIASES: Readonly<Record<string, AssetImportColumn>> = {
  ip: 'ips',
  ip_address: 'ips',
  ip_addresses: 'ips',
  mac: 'macs',
  mac_address: 'macs',
  mac_addresses: 'macs',
  os_id: 'os',
  os_version_id: 'os_version',
  env: 'environment',
  impact: 'business_impact',
  sensitivity: 'data_sensitivity',
  owner: 'owner_team',
  team: 'owner_team',
  service: 'services',
  timezone: 'time_zone',
  tz: 'time_zone',
  tag: 'tags',
  type: 'kind',
  class: 'asset_classes',
  classes: 'asset_classes',
};

const SPELLINGS = new Map<string, AssetImportColumn>([
  ...ASSET_IMPORT_COLUMNS.map((c): [string, AssetImportColumn] => [c, c]),
  ...Object.entries(COLUMN_ALIASES),
]);

function columnKey(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** The column a header or JSON key stands for (`IP Address`, `ownerTeam`, `tz`...), if any. */
export function resolveAssetColumn(name: string): AssetImportColumn | undefined {
  return SPELLINGS.get(columnKey(name));
}

export function suggestAssetColumn(name: string): AssetImportColumn | undefined {
  return closestName(columnKey(name), SPELLINGS) as AssetImportColumn | undefined;
}

/** One record of an asset list, as read from its file. */
export interface AssetRecord {
  /** File name (or `request body`) for messages. */
  file?: string;
  /** 1-based line the record starts on. */
  line?: number;
  /** Position in a JSON array (`[3]`), when there is no line. */
  record?: string;
  /** Keys are column names or their aliases; CSV cells are strings, JSON may hold lists and numbers. */
  values: Readonly<Record<string, unknown>>;
  /** 1-based column of each key in a CSV header. */
  columns?: Readonly<Record<string, number>>;
}

class RecordError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

function where(record: AssetRecord): string {
  const file = record.file ?? 'input';
  if (record.line !== undefined) return `${file}:${record.line}`;
  return record.record !== undefined ? `${file} ${record.record}` : file;
}

function recordError(record: AssetRecord, key: string, message: string, cause?: unknown): PatchwardenError {
  const column = record.columns?.[key];
  const field = resolveAssetColumn(key) ?? key;
  const place = column !== undefined ? `${field} (column ${column})` : field;
  const details: Record<string, unknown> = { field };
  if (record.file !== undefined) details['file'] = record.file;
  if (record.line !== undefined) details['line'] = record.line;
  if (record.record !== undefined) details['record'] = record.record;
  if (column !== undefined) details['column'] = column;
  return pwError('PW_ERR_INVALID_RECORD', `${where(record)}: ${place}: ${message}`, details, cause);
}

function text(key: string, value: unknown, max = 255): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new RecordError(key, `expected text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  const trimmed = String(value).trim();
  if (trimmed === '') return undefined;
  if (trimmed.length > max) throw new RecordError(key, `longer than ${max} characters`);
  return trimmed;
}

/** A list cell: `a;b`, `a, b`, `a b` or `a|b` in CSV; a JSON array (or such a string) in JSON. */
function list(key: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new RecordError(key, `expected text items, got ${typeof item}`);
    out.push(...item.split(/[;,|\s]+/).filter((part) => part !== ''));
  }
  return out.length === 0 ? undefined : out;
}

function choice<T extends string>(key: string, value: unknown, choices: readonly T[]): T | undefined {
  const given = text(key, value);
  if (given === undefined) return undefined;
  const lower = asciiLower(given);
  if ((choices as readonly string[]).includes(lower)) return lower as T;
  const suggestion = closestName(lower, new Map(choices.map((c) => [c, c])));
  throw new RecordError(
    key,
    `"${given}" is not one of ${choices.join(', ')}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
  );
}

export const ASSET_CLASSES: readonly AssetClass[] = Object.freeze([
  'os',
  'server-app',
  'anti-malware',
  'vpn-client',
  'security-tooling',
  'appliance',
  'hypervisor',
  'management-tooling',
  'firmware',
  'driver',
  'management-app',
]);

const IMPACT_WORDS: Readonly<Record<string, BusinessImpact>> = {
  negligible: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

function impact(key: string, value: unknown): BusinessImpact | undefined {
  const given = text(key, value);
  if (given === undefined) return undefined;
  if (/^[1-5]$/.test(given)) return Number(given) as BusinessImpact;
  const word = IMPACT_WORDS[asciiLower(given)];
  if (word !== undefined) return word;
  throw new RecordError(
    key,
    `"${given}" is not a business impact: 1 to 5, or negligible, low, medium, high, critical`,
  );
}

let zones: Set<string> | undefined;
let zoneSpellings: Map<string, string> | undefined;

/**
 * An IANA time zone. `Intl.supportedValuesOf` lists the canonical names of the runtime's ICU,
 * which on Node 20 omits `UTC` and newer names such as `Asia/Kolkata`; those are accepted when
 * the runtime can format in them, so valid zones are never refused for ICU's naming.
 */
export function validTimeZone(name: string): boolean {
  zones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (zones.has(name)) return true;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function timeZone(key: string, value: unknown): string | undefined {
  const given = text(key, value, 64);
  if (given === undefined) return undefined;
  if (validTimeZone(given)) return given;
  zoneSpellings ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  const suggestion = closestName(given, zoneSpellings);
  throw new RecordError(
    key,
    `"${given}" is not an IANA time zone${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
  );
}

const OS_WITH_VERSION = /^([A-Za-z][A-Za-z0-9._]*)[\s-]+v?(\d[\w.]*)$/;
const OS_ID = /^[a-z0-9][a-z0-9._-]*$/;

function operatingSystem(
  record: AssetRecord,
  osKey: string | undefined,
  versionKey: string | undefined,
): AssetOs | undefined {
  const raw = osKey === undefined ? undefined : record.values[osKey];
  let versionId = versionKey === undefined ? undefined : text(versionKey, record.values[versionKey], 64);
  if (raw === undefined || raw === null || raw === '') {
    if (versionId !== undefined) throw new RecordError(versionKey!, 'an OS version needs an os');
    return undefined;
  }
  let id: string | undefined;
  let name: string | undefined;
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    const object = raw as Record<string, unknown>;
    id = text(osKey!, object['id'], 64);
    versionId ??= text(osKey!, object['versionId'], 64);
    name = text(osKey!, object['name']);
  } else {
    id = text(osKey!, raw, 64);
    const split = id === undefined || versionId !== undefined ? null : OS_WITH_VERSION.exec(id);
    if (split) [, id, versionId] = split;
  }
  if (id === undefined) return undefined;
  id = asciiLower(id);
  if (!OS_ID.test(id)) {
    throw new RecordError(osKey!, `"${id}" is not an os-release ID (ubuntu, rhel, windows, junos, ios...)`);
  }
  const os: AssetOs = { id };
  if (versionId !== undefined) os.versionId = versionId;
  if (name !== undefined) os.name = name;
  const ecosystem = osEcosystem({ id, idLike: [], ...(versionId !== undefined ? { versionId } : {}) });
  if (ecosystem !== undefined) os.ecosystem = ecosystem;
  return os;
}

export interface AssetRecordOptions {
  /**
   * A new asset needs something to be recognised by (name, hostname, fqdn, ip or mac). An edit of
   * an existing one (the API's PATCH) does not: pass false.
   */
  requireIdentity?: boolean;
}

/** Validates one record; throws PW_ERR_INVALID_RECORD naming where and what is wrong. */
export function assetFactsFromRecord(record: AssetRecord, options: AssetRecordOptions = {}): AssetFacts {
  const keys = new Map<AssetImportColumn, string>();
  for (const key of Object.keys(record.values)) {
    const column = resolveAssetColumn(key);
    if (column === undefined) {
      const suggestion = suggestAssetColumn(key);
      throw recordError(
        record,
        key,
        `unknown field${suggestion ? `; did you mean "${suggestion}"?` : ` (known: ${ASSET_IMPORT_COLUMNS.join(', ')})`}`,
      );
    }
    if (keys.has(column)) throw recordError(record, key, `given twice (also as "${keys.get(column)}")`);
    keys.set(column, key);
  }
  const value = (column: AssetImportColumn): [string, unknown] => {
    const key = keys.get(column) ?? column;
    return [key, record.values[key]];
  };
  try {
    const facts: AssetFacts = {};
    const set = <K extends keyof AssetFacts>(key: K, v: AssetFacts[K] | undefined): void => {
      if (v !== undefined) facts[key] = v;
    };
    set('name', text(...value('name')));
    set('kind', choice<AssetKind>(...value('kind'), ASSET_KINDS));
    const [hostKey, host] = value('hostname');
    const hostname = text(hostKey, host);
    if (hostname !== undefined && normalizeDnsName(hostname) === undefined) {
      throw new RecordError(hostKey, `"${hostname}" is not a valid host name`);
    }
    set('hostname', hostname);
    const [fqdnKey, fqdnValue] = value('fqdn');
    const fqdn = text(fqdnKey, fqdnValue);
    if (fqdn !== undefined && !normalizeDnsName(fqdn)?.includes('.')) {
      throw new RecordError(fqdnKey, `"${fqdn}" is not a fully qualified domain name`);
    }
    set('fqdn', fqdn);
    const [ipKey, ipValue] = value('ips');
    const ips = list(ipKey, ipValue)?.map((ip) => {
      const normal = normalizeIp(ip);
      if (normal === undefined) throw new RecordError(ipKey, `"${ip}" is not an IPv4 or IPv6 address`);
      return normal;
    });
    set('ips', ips);
    const [macKey, macValue] = value('macs');
    const macs = list(macKey, macValue)?.map((mac) => {
      const normal = normalizeMac(mac);
      if (normal === undefined) throw new RecordError(macKey, `"${mac}" is not a MAC address`);
      return normal;
    });
    set('macs', macs);
    set('os', operatingSystem(record, keys.get('os'), keys.get('os_version')));
    set('environment', text(...value('environment'), 64));
    set('businessImpact', impact(...value('business_impact')));
    set('exposure', choice<Exposure>(...value('exposure'), EXPOSURES));
    set('dataSensitivity', choice<DataSensitivity>(...value('data_sensitivity'), DATA_SENSITIVITIES));
    set('ownerTeam', text(...value('owner_team')));
    set('services', list(...value('services')));
    set('location', text(...value('location')));
    set('timeZone', timeZone(...value('time_zone')));
    set('tags', list(...value('tags')));
    const [classKey, classValue] = value('asset_classes');
    set(
      'assetClasses',
      list(classKey, classValue)?.map((item) => choice<AssetClass>(classKey, item, ASSET_CLASSES)!),
    );
    if (
      options.requireIdentity !== false &&
      [facts.name, facts.hostname, facts.fqdn, facts.ips?.[0], facts.macs?.[0]].every((v) => v === undefined)
    ) {
      throw new RecordError(keys.get('name') ?? 'name', 'a record needs a name, hostname, fqdn, ip or mac');
    }
    return normalizeAssetFacts(facts);
  } catch (thrown) {
    if (thrown instanceof RecordError) throw recordError(record, thrown.key, thrown.message);
    if (thrown instanceof PatchwardenError) throw thrown;
    throw recordError(record, 'record', thrown instanceof Error ? thrown.message : String(thrown), thrown);
  }
}

export interface ValidatedAssetRow {
  record: AssetRecord;
  facts: AssetFacts;
}

/** Validates every record; bad ones are reported, each with its own error, never skipped silently. */
export function validateAssetRecords(
  records: readonly AssetRecord[],
  options: AssetRecordOptions = {},
): { rows: ValidatedAssetRow[]; errors: PatchwardenError[] } {
  const rows: ValidatedAssetRow[] = [];
  const errors: PatchwardenError[] = [];
  for (const record of records) {
    try {
      rows.push({ record, facts: assetFactsFromRecord(record, options) });
    } catch (error) {
      if (!(error instanceof PatchwardenError)) throw error;
      errors.push(error);
    }
  }
  return { rows, errors };
}
