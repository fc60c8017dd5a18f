import { pwError } from '../errors/index.ts';
import type { PatchwardenError } from '../errors/index.ts';
import type { Asset } from './asset.ts';
import { ASSET_KINDS, DATA_SENSITIVITIES, EXPOSURES } from './asset.ts';
import { assetState, isHiddenAsset, osKey } from './asset-health.ts';
import { ASSET_CLASSES } from './asset-import.ts';
import { asciiLower, ipv4InCidr, ipv4Octets, normalizeIp, normalizeMac } from './asset-identity.ts';
import { closestName } from './closest-name.ts';

/**
 * The asset filter language shared by the API, the CLI, policies and rollouts:
 *
 *   env:production exposure:internet os:ubuntu-22.04 impact>=4 name:web-* -tag:legacy
 *
 * - Terms are separated by spaces and AND-ed; an empty filter selects every asset.
 * - `field:value`; `-field:value` negates; `field:a|b` ORs values within the term.
 * - `*` is a wildcard anywhere in a value (there is no literal `*`); values are quoted when they
 *   hold spaces, `|` or quotes (`name:"db 1"`, `\"` and `\\` inside quotes).
 * - Text compares case-insensitively (ASCII letters only, exactly as the store's SQL does).
 * - List fields (`ip`, `mac`, `tag`, `service`, `class`, `source`) match when any element does.
 * - `os:` matches `<id>-<versionId>` by prefix on a component boundary: `os:ubuntu`,
 *   `os:ubuntu-22` and `os:ubuntu-22.04` all match Ubuntu 22.04; `os:debian-1` does not match 12.
 * - `ip:` takes an address, a wildcard pattern (`10.1.*`) or an IPv4 CIDR block (`10.0.0.0/8`).
 * - `impact:5`, `impact:4|5`, `impact>=4`, `impact>3`, `impact<=2`, `impact<3`.
 * - Flags take `true` or `false`: `stale` (inventory older than the threshold), `unknown` (no
 *   inventory ever), `hidden` (scanner or import, no agent), `reboot` (reboot required).
 * - A positive term never matches an absent value: `team:*` selects assets with an owner,
 *   `-team:*` those without; `-impact>=4` includes assets whose impact is unknown.
 *
 * A bare word without `field:` is an error, never a guess: rollouts select their targets with
 * this language, and a typo must not widen a selection.
 */

export const TEXT_FIELDS = [
  'name',
  'hostname',
  'fqdn',
  'ip',
  'mac',
  'env',
  'exposure',
  'sensitivity',
  'os',
  'kind',
  'team',
  'tag',
  'service',
  'location',
  'tz',
  'class',
  'source',
] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export const FLAG_FIELDS = ['stale', 'unknown', 'hidden', 'reboot'] as const;
export type FlagField = (typeof FLAG_FIELDS)[number];

export type FilterField = TextField | FlagField | 'impact';

export const IMPACT_OPERATORS = [':', '>=', '>', '<=', '<'] as const;
export type ImpactOperator = (typeof IMPACT_OPERATORS)[number];

export interface TextTerm {
  type: 'text';
  field: TextField;
  negated: boolean;
  /** Patterns, OR-ed; `*` is a wildcard. Enum fields, MACs, IPs and `os` are stored normalised. */
  values: string[];
}

export interface ImpactTerm {
  type: 'impact';
  field: 'impact';
  negated: boolean;
  op: ImpactOperator;
  /** One or more for `:`, exactly one for a comparison. */
  values: number[];
}

export interface FlagTerm {
  type: 'flag';
  field: FlagField;
  negated: boolean;
  value: boolean;
}

export type AssetFilterTerm = TextTerm | ImpactTerm | FlagTerm;

export interface AssetFilter {
  terms: AssetFilterTerm[];
}

/** Other spellings accepted for a field (CSV column names, the Asset property names). */
const FIELD_ALIASES: Readonly<Record<string, FilterField>> = {
  environment: 'env',
  owner: 'team',
  owner_team: 'team',
  ownerteam: 'team',
  tags: 'tag',
  services: 'service',
  business_impact: 'impact',
  businessimpact: 'impact',
  data_sensitivity: 'sensitivity',
  datasensitivity: 'sensitivity',
  time_zone: 'tz',
  timezone: 'tz',
  asset_class: 'class',
  sources: 'source',
  ips: 'ip',
  macs: 'mac',
};

const FIELDS = new Map<string, FilterField>([
  ...[...TEXT_FIELDS, ...FLAG_FIELDS, 'impact' as const].map((f): [string, FilterField] => [f, f]),
  ...Object.entries(FIELD_ALIASES),
]);

const ENUMS: Partial<Record<TextField, readonly string[]>> = {
  kind: ASSET_KINDS,
  exposure: EXPOSURES,
  sensitivity: DATA_SENSITIVITIES,
  source: ['agent', 'sbom', 'scanner', 'csv', 'json', 'manual'],
  class: ASSET_CLASSES,
};

function isSpace(char: string | undefined): boolean {
  return char !== undefined && /\s/.test(char);
}

class FilterParser {
  readonly #text: string;
  #pos = 0;
  #termStart = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): AssetFilter {
    const terms: AssetFilterTerm[] = [];
    while (true) {
      while (isSpace(this.#text[this.#pos])) this.#pos++;
      if (this.#pos >= this.#text.length) return { terms };
      terms.push(this.#term());
    }
  }

  /** An error at `column` (0-based), naming the whole term it occurs in. */
  #error(at: number, message: string, extra: Record<string, unknown> = {}, hint = ''): PatchwardenError {
    const start = this.#termStart;
    let end = start;
    let quoted = false;
    while (end < this.#text.length && (quoted || !isSpace(this.#text[end]))) {
      if (this.#text[end] === '"') quoted = !quoted;
      end++;
    }
    const term = this.#text.slice(start, end);
    return pwError('PW_ERR_INVALID_RECORD', `${message} at column ${at + 1}${hint}`, {
      column: at + 1,
      term,
      ...extra,
    });
  }

  #term(): AssetFilterTerm {
    const start = this.#pos;
    this.#termStart = start;
    const negated = this.#text[this.#pos] === '-';
    if (negated) this.#pos++;
    const nameStart = this.#pos;
    while (/[A-Za-z_]/.test(this.#text[this.#pos] ?? '')) this.#pos++;
    const name = this.#text.slice(nameStart, this.#pos);
    const op = this.#operator();
    if (name === '' || op === undefined) {
      throw this.#error(start, `expected field:value, got "${this.#wordAt(start)}"`);
    }
    const field = FIELDS.get(name.toLowerCase());
    if (field === undefined) {
      const suggestion = closestName(name, FIELDS);
      throw this.#error(
        start,
        `unknown field "${name}"`,
        { field: name, ...(suggestion ? { suggestion } : {}) },
        suggestion ? `; did you mean "${suggestion}"?` : '',
      );
    }
    const valuesStart = this.#pos;
    const located = this.#values();
    const raw = located.map(([value]) => value);
    if (field === 'impact') return this.#impactTerm(located, negated, op);
    if (op !== ':') {
      throw this.#error(start, `operator "${op}" applies only to impact, not to ${field}`, { field });
    }
    if ((FLAG_FIELDS as readonly string[]).includes(field)) {
      const value = raw.length === 1 ? raw[0]!.toLowerCase() : '';
      if (value !== 'true' && value !== 'false') {
        throw this.#error(valuesStart, `${field} takes true or false, not "${raw.join('|')}"`, { field });
      }
      return { type: 'flag', field: field as FlagField, negated, value: value === 'true' };
    }
    return {
      type: 'text',
      field: field as TextField,
      negated,
      values: located.map(([value, at]) => this.#textValue(at, field as TextField, value)),
    };
  }

  #wordAt(start: number): string {
    let end = start;
    while (end < this.#text.length && !isSpace(this.#text[end])) end++;
    return this.#text.slice(start, end);
  }

  #operator(): ImpactOperator | undefined {
    const two = this.#text.slice(this.#pos, this.#pos + 2);
    if (two === '>=' || two === '<=') {
      this.#pos += 2;
      return two;
    }
    const one = this.#text[this.#pos];
    if (one === ':' || one === '=') {
      this.#pos++;
      return ':';
    }
    if (one === '>' || one === '<') {
      this.#pos++;
      return one;
    }
    return undefined;
  }

  /** The `|`-separated values with the offset each starts at. */
  #values(): [string, number][] {
    const values: [string, number][] = [];
    while (true) {
      const valueStart = this.#pos;
      let value = '';
      if (this.#text[this.#pos] === '"') {
        this.#pos++;
        while (true) {
          const char = this.#text[this.#pos];
          if (char === undefined) throw this.#error(valueStart, 'unterminated quoted value');
          this.#pos++;
          if (char === '"') break;
          if (char === '\\') {
            const next = this.#text[this.#pos];
            if (next === undefined) throw this.#error(valueStart, 'unterminated quoted value');
            value += next;
            this.#pos++;
          } else value += char;
        }
      } else {
        while (this.#pos < this.#text.length) {
          const char = this.#text[this.#pos]!;
          if (isSpace(char) || char === '|') break;
          if (char === '"')
            throw this.#error(this.#pos, 'unexpected quote inside a value (quote the whole value)');
          value += char;
          this.#pos++;
        }
        if (value === '') throw this.#error(valueStart, 'empty value');
      }
      values.push([value, valueStart]);
      const next = this.#text[this.#pos];
      if (next === '|') {
        this.#pos++;
        continue;
      }
      if (next !== undefined && !isSpace(next)) {
        throw this.#error(this.#pos, 'expected a space or "|" after a quoted value');
      }
      return values;
    }
  }

  #textValue(at: number, field: TextField, value: string): string {
    const choices = ENUMS[field];
    if (choices) {
      const lower = asciiLower(value);
      if (!lower.includes('*') && !choices.includes(lower)) {
        const suggestion = closestName(lower, new Map(choices.map((c) => [c, c])));
        throw this.#error(
          at,
          `unknown ${field} "${value}"`,
          { field, ...(suggestion ? { suggestion } : {}) },
          suggestion ? `; did you mean "${suggestion}"?` : `; expected one of ${choices.join(', ')}`,
        );
      }
      return lower;
    }
    switch (field) {
      case 'mac':
        return normalizeMac(value) ?? asciiLower(value);
      case 'os':
        return asciiLower(value);
      case 'ip': {
        if (value.includes('/')) {
          const [base, bits] = value.split('/');
          if (!ipv4Octets(base ?? '') || !/^\d{1,2}$/.test(bits ?? '') || Number(bits) > 32) {
            throw this.#error(at, `"${value}" is not an IPv4 CIDR block`, { field });
          }
          return value;
        }
        if (value.includes('*')) return asciiLower(value);
        const ip = normalizeIp(value);
        if (ip === undefined) {
          throw this.#error(at, `"${value}" is not an IP address, a pattern (10.1.*) or a CIDR block`, {
            field,
          });
        }
        return ip;
      }
      default:
        return value;
    }
  }

  #impactTerm(located: [string, number][], negated: boolean, op: ImpactOperator): ImpactTerm {
    if (op !== ':' && located.length > 1) {
      throw this.#error(located[1]![1], `impact${op} takes one value, not ${located.length}`, {
        field: 'impact',
      });
    }
    const values = located.map(([value, at]) => {
      if (!/^[1-5]$/.test(value)) {
        throw this.#error(at, `impact must be 1 to 5, not "${value}"`, { field: 'impact' });
      }
      return Number(value);
    });
    return { type: 'impact', field: 'impact', negated, op, values };
  }
}

/** Parses a filter; errors are PW_ERR_INVALID_RECORD naming the column and the term. */
export function parseAssetFilter(text: string): AssetFilter {
  return new FilterParser(text).parse();
}

function formatValue(value: string): string {
  if (value !== '' && !/[\s"|\\]/.test(value)) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function formatTerm(term: AssetFilterTerm): string {
  const sign = term.negated ? '-' : '';
  switch (term.type) {
    case 'flag':
      return `${sign}${term.field}:${term.value}`;
    case 'impact':
      return `${sign}impact${term.op}${term.values.join('|')}`;
    case 'text':
      return `${sign}${term.field}:${term.values.map(formatValue).join('|')}`;
  }
}

/** The canonical text of a filter; parsing it gives the same filter back. */
export function formatAssetFilter(filter: AssetFilter): string {
  return filter.terms.map(formatTerm).join(' ');
}

export interface AssetFilterContext {
  /** RFC 3339 instant the `stale` flag is evaluated at. */
  now: string;
  staleAfterDays: number;
}

const REGEX_SPECIAL = /[.+?^${}()|[\]\\]/g;

/** A `*` pattern as an anchored RegExp over ASCII-lowered text. */
export function globRegExp(pattern: string): RegExp {
  const source = asciiLower(pattern).replace(REGEX_SPECIAL, '\\$&').replaceAll('*', '[\\s\\S]*');
  return new RegExp(`^${source}$`);
}

/** The values a text field takes on an asset (empty when absent). */
export function textFieldValues(asset: Asset, field: TextField): string[] {
  const one = (value: string | undefined): string[] => (value === undefined ? [] : [value]);
  switch (field) {
    case 'name':
      return [asset.name];
    case 'hostname':
      return one(asset.hostname);
    case 'fqdn':
      return one(asset.fqdn);
    case 'ip':
      return asset.ips;
    case 'mac':
      return asset.macs;
    case 'env':
      return one(asset.environment);
    case 'exposure':
      return one(asset.exposure);
    case 'sensitivity':
      return one(asset.dataSensitivity);
    case 'os':
      return asset.os ? [osKey(asset.os)] : [];
    case 'kind':
      return [asset.kind];
    case 'team':
      return one(asset.ownerTeam);
    case 'tag':
      return asset.tags;
    case 'service':
      return asset.services;
    case 'location':
      return one(asset.location);
    case 'tz':
      return one(asset.timeZone);
    case 'class':
      return asset.assetClasses;
    case 'source':
      return asset.sources;
  }
}

type ValueTest = (value: string) => boolean;

function valueTest(field: TextField, pattern: string): ValueTest {
  if (field === 'ip' && pattern.includes('/')) return (value) => ipv4InCidr(value, pattern);
  if (field === 'mac') {
    const regex = globRegExp(pattern);
    return (value) => regex.test(normalizeMac(value) ?? asciiLower(value));
  }
  if (field === 'os' && !pattern.includes('*')) {
    return (value) => {
      const key = asciiLower(value);
      return key === pattern || key.startsWith(`${pattern}-`) || key.startsWith(`${pattern}.`);
    };
  }
  const regex = globRegExp(pattern);
  return (value) => regex.test(asciiLower(value));
}

function impactTest(op: ImpactOperator, values: readonly number[]): (impact: number) => boolean {
  const bound = values[0]!;
  switch (op) {
    case ':':
      return (impact) => values.includes(impact);
    case '>=':
      return (impact) => impact >= bound;
    case '>':
      return (impact) => impact > bound;
    case '<=':
      return (impact) => impact <= bound;
    case '<':
      return (impact) => impact < bound;
  }
}

/** Compiles a filter once for evaluating many assets. */
export function compileAssetFilter(
  filter: AssetFilter,
  context: AssetFilterContext,
): (asset: Asset) => boolean {
  const tests = filter.terms.map((term): ((asset: Asset) => boolean) => {
    let positive: (asset: Asset) => boolean;
    switch (term.type) {
      case 'text': {
        const field = term.field;
        const patterns = term.values.map((value) => valueTest(field, value));
        positive = (asset) =>
          textFieldValues(asset, field).some((value) => patterns.some((test) => test(value)));
        break;
      }
      case 'impact': {
        const test = impactTest(term.op, term.values);
        positive = (asset) => asset.businessImpact !== undefined && test(asset.businessImpact);
        break;
      }
      case 'flag': {
        const flag = (asset: Asset): boolean => {
          switch (term.field) {
            case 'stale':
              return assetState(asset, context.now, context) === 'stale';
            case 'unknown':
              return assetState(asset, context.now, context) === 'unknown';
            case 'hidden':
              return isHiddenAsset(asset);
            case 'reboot':
              return asset.rebootRequired === true;
          }
        };
        positive = (asset) => flag(asset) === term.value;
        break;
      }
    }
    return term.negated ? (asset) => !positive(asset) : positive;
  });
  return (asset) => tests.every((test) => test(asset));
}

export function matchesAsset(filter: AssetFilter, asset: Asset, context: AssetFilterContext): boolean {
  return compileAssetFilter(filter, context)(asset);
}
