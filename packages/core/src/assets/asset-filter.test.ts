import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import type { Asset } from './asset.ts';
import { ASSET_KINDS, DATA_SENSITIVITIES, EXPOSURES } from './asset.ts';
import type { AssetFilter, AssetFilterTerm, ImpactOperator } from './asset-filter.ts';
import { formatAssetFilter, matchesAsset, parseAssetFilter } from './asset-filter.ts';

const NOW = '2025-03-01T12:00:00Z';
const CONTEXT = { now: NOW, staleAfterDays: 7 };

function asset(overrides: Partial<Asset> = {}): Asset {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'web-01',
    kind: 'server',
    hostname: 'web-01',
    fqdn: 'web-01.prod.example.com',
    ips: ['10.1.2.3', '2001:db8::1'],
    macs: ['52:54:00:ab:cd:ef'],
    os: { id: 'ubuntu', versionId: '22.04', ecosystem: 'Ubuntu:22.04:LTS' },
    environment: 'production',
    businessImpact: 4,
    exposure: 'internet',
    dataSensitivity: 'confidential',
    ownerTeam: 'payments',
    services: ['checkout'],
    location: 'Frankfurt DC 2',
    timeZone: 'Europe/Berlin',
    tags: ['pci', 'Linux'],
    assetClasses: ['os'],
    sources: ['agent', 'csv'],
    firstSeen: '2025-01-01T00:00:00Z',
    lastSeen: '2025-03-01T11:00:00Z',
    inventoryAt: '2025-02-28T00:00:00Z',
    rebootRequired: false,
    ...overrides,
  };
}

const matches = (text: string, a: Asset = asset()): boolean =>
  matchesAsset(parseAssetFilter(text), a, CONTEXT);

function parseError(text: string): PatchwardenError {
  try {
    parseAssetFilter(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchwardenError);
    return error as PatchwardenError;
  }
  throw new Error(`"${text}" parsed but should not`);
}

describe('parseAssetFilter', () => {
  it('parses the full example into AND-ed terms and formats it back canonically', () => {
    const text =
      'env:production exposure:internet os:ubuntu-22.04 kind:server team:payments tag:pci service:checkout ' +
      'impact>=4 name:web-* -tag:legacy source:agent stale:true unknown:true';
    const filter = parseAssetFilter(text);
    expect(filter.terms).toHaveLength(13);
    expect(filter.terms[7]).toEqual({
      type: 'impact',
      field: 'impact',
      negated: false,
      op: '>=',
      values: [4],
    });
    expect(filter.terms[9]).toEqual({ type: 'text', field: 'tag', negated: true, values: ['legacy'] });
    expect(filter.terms[11]).toEqual({ type: 'flag', field: 'stale', negated: false, value: true });
    expect(formatAssetFilter(filter)).toBe(text);
  });

  it('accepts aliases, = for :, mixed-case field names and extra spaces, and prints canonical names', () => {
    const filter = parseAssetFilter(
      '  Environment=prod|staging   owner_team:ops\ttags:"a b"  business_impact:4|5 ',
    );
    expect(formatAssetFilter(filter)).toBe('env:prod|staging team:ops tag:"a b" impact:4|5');
  });

  it('normalises enum values, MACs and IPs so that equal filters compare equal', () => {
    expect(formatAssetFilter(parseAssetFilter('kind:SERVER mac:52-54-00-AB-CD-EF ip:2001:DB8:0::1'))).toBe(
      'kind:server mac:52:54:00:ab:cd:ef ip:2001:db8::1',
    );
  });

  it('keeps quotes, escapes and pipes inside quoted values', () => {
    const filter = parseAssetFilter('name:"db \\"primary\\" 1|2"|web');
    expect(filter.terms[0]).toMatchObject({ values: ['db "primary" 1|2', 'web'] });
    expect(parseAssetFilter(formatAssetFilter(filter))).toEqual(filter);
  });

  it('an empty filter has no terms (selects everything)', () => {
    expect(parseAssetFilter('   ')).toEqual({ terms: [] });
    expect(matches('')).toBe(true);
  });

  it.each([
    ['enviroment:prod', 1, 'unknown field "enviroment" at column 1; did you mean "env"?'],
    ['env:prod  tema:ops', 11, 'unknown field "tema" at column 11; did you mean "team"?'],
    ['env:prod web-01', 10, 'expected field:value, got "web-01" at column 10'],
    ['env:', 5, 'empty value at column 5'],
    ['env:a||b', 7, 'empty value at column 7'],
    ['name:"db 1', 6, 'unterminated quoted value at column 6'],
    ['name:"db"x', 10, 'expected a space or "|" after a quoted value at column 10'],
    ['name:db"1"', 8, 'unexpected quote inside a value (quote the whole value) at column 8'],
    ['impact>=9', 9, 'impact must be 1 to 5, not "9" at column 9'],
    ['impact>=3|4', 11, 'impact>= takes one value, not 2 at column 11'],
    ['kind:sever', 6, 'unknown kind "sever" at column 6; did you mean "server"?'],
    ['exposure:dmz', 10, 'unknown exposure "dmz" at column 10; expected one of internet, internal, isolated'],
    ['name>=web', 1, 'operator ">=" applies only to impact, not to name at column 1'],
    ['stale:maybe', 7, 'stale takes true or false, not "maybe" at column 7'],
    ['ip:web', 4, '"web" is not an IP address, a pattern (10.1.*) or a CIDR block at column 4'],
    ['ip:10.0.0.0/33', 4, '"10.0.0.0/33" is not an IPv4 CIDR block at column 4'],
  ])('rejects %j naming column %i', (text, column, message) => {
    const error = parseError(text);
    expect(error.code).toBe('PW_ERR_INVALID_RECORD');
    expect(error.message).toBe(message);
    expect(error.details['column']).toBe(column);
  });

  it('names the whole term in the details', () => {
    const error = parseError('env:prod -tag:"a b"|legacy impact>=x');
    expect(error.details).toMatchObject({ column: 36, term: 'impact>=x', field: 'impact' });
    expect(parseError('env:prod -tag:"a b" enviroment:x').details).toMatchObject({
      term: 'enviroment:x',
      suggestion: 'env',
    });
  });
});

describe('matchesAsset', () => {
  it.each([
    ['env:production', true],
    ['env:prod', false],
    ['env:prod*', true],
    ['env:staging|production', true],
    ['-env:production', false],
    ['ENV:PRODUCTION', true],
    ['name:web-*', true],
    ['name:WEB-0?', false],
    ['name:*-01', true],
    ['name:db-*', false],
    ['hostname:web-01', true],
    ['fqdn:*.prod.example.com', true],
    ['fqdn:*.staging.example.com', false],
    ['exposure:internet', true],
    ['sensitivity:confidential|restricted', true],
    ['kind:server', true],
    ['kind:network-device|iot-device', false],
    ['team:payments', true],
    ['team:*', true],
    ['-team:*', false],
    ['tag:pci', true],
    ['tag:linux', true],
    ['-tag:legacy', true],
    ['tag:legacy', false],
    ['service:checkout', true],
    ['location:"frankfurt dc *"', true],
    ['tz:Europe/*', true],
    ['class:os', true],
    ['source:agent', true],
    ['source:scanner', false],
    ['impact>=4', true],
    ['impact>4', false],
    ['impact:5', false],
    ['impact:4|5', true],
    ['impact<=4', true],
    ['impact<4', false],
    ['-impact>=4', false],
    ['os:ubuntu', true],
    ['os:ubuntu-22', true],
    ['os:ubuntu-22.04', true],
    ['os:ubuntu-22.10', false],
    ['os:ubuntu-2', false],
    ['os:ubu', false],
    ['os:ubuntu-*', true],
    ['os:debian', false],
    ['ip:10.1.2.3', true],
    ['ip:10.1.*', true],
    ['ip:10.0.0.0/8', true],
    ['ip:10.2.0.0/16', false],
    ['ip:2001:DB8:0:0::1', true],
    ['mac:52-54-00-AB-CD-EF', true],
    ['mac:5254.00ab.cdef', true],
    ['mac:52:54:00:*', true],
    ['stale:false', true],
    ['unknown:false', true],
    ['hidden:false', true],
    ['reboot:false', true],
    ['reboot:true', false],
    ['env:production kind:server impact>=4 -tag:legacy', true],
    ['env:production kind:workstation', false],
  ])('%s -> %s', (text, expected) => {
    expect(matches(text)).toBe(expected);
  });

  it('never matches an absent value with a positive term', () => {
    const bare = asset({
      environment: undefined,
      businessImpact: undefined,
      os: undefined,
      ownerTeam: undefined,
    });
    expect(matches('env:*', bare)).toBe(false);
    expect(matches('-env:*', bare)).toBe(true);
    expect(matches('impact>=1', bare)).toBe(false);
    expect(matches('-impact>=4', bare)).toBe(true);
    expect(matches('os:*', bare)).toBe(false);
  });

  it('stale and unknown follow the inventory age at the given now and threshold', () => {
    const fresh = asset({ inventoryAt: '2025-02-28T00:00:00Z' });
    const old = asset({ inventoryAt: '2025-02-01T00:00:00Z', lastSeen: NOW });
    const never = asset({ inventoryAt: undefined });
    expect([fresh, old, never].map((a) => matches('stale:true', a))).toEqual([false, true, false]);
    expect([fresh, old, never].map((a) => matches('unknown:true', a))).toEqual([false, false, true]);
    // A week later the fresh one is stale too: time is passed in, never read.
    const later = parseAssetFilter('stale:true');
    expect(matchesAsset(later, fresh, { now: '2025-03-08T00:00:01Z', staleAfterDays: 7 })).toBe(true);
    expect(matchesAsset(later, fresh, { now: '2025-03-08T00:00:01Z', staleAfterDays: 30 })).toBe(false);
  });

  it('hidden selects assets seen by a scanner or an import but never by an agent', () => {
    expect(matches('hidden:true', asset({ sources: ['scanner'] }))).toBe(true);
    expect(matches('hidden:true', asset({ sources: ['csv', 'scanner'] }))).toBe(true);
    expect(matches('hidden:true', asset({ sources: ['scanner', 'agent'] }))).toBe(false);
    expect(matches('hidden:true', asset({ sources: ['sbom'] }))).toBe(false);
  });
});

// ---- property: format(parse(x)) parses to an equivalent filter -------------------------------

const TEXT_FIELD_ARB = fc.constantFrom(
  'name',
  'hostname',
  'fqdn',
  'env',
  'team',
  'tag',
  'service',
  'location',
  'tz',
) as fc.Arbitrary<'name'>;

const freeValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[a-z0-9*.-]{1,10}$/),
  fc.constantFrom('db 1', 'a|b', 'say "hi"', 'back\\slash', '*', '-x', 'x:y'),
);
const hex2 = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, '0'));
const macValue = fc.array(hex2, { minLength: 6, maxLength: 6 }).map((parts) => parts.join(':'));
const octet = fc.integer({ min: 0, max: 255 });
const ipValue = fc.oneof(
  fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
  fc.tuple(octet, octet).map(([a, b]) => `${a}.${b}.*`),
  fc.tuple(octet, fc.integer({ min: 0, max: 32 })).map(([a, bits]) => `${a}.0.0.0/${bits}`),
);

const termArb: fc.Arbitrary<AssetFilterTerm> = fc.oneof(
  fc.record({
    type: fc.constant('text' as const),
    field: TEXT_FIELD_ARB,
    negated: fc.boolean(),
    values: fc.array(freeValue, { minLength: 1, maxLength: 3 }),
  }),
  ...(
    [
      ['kind', ASSET_KINDS],
      ['exposure', EXPOSURES],
      ['sensitivity', DATA_SENSITIVITIES],
    ] as const
  ).map(([field, choices]) =>
    fc.record({
      type: fc.constant('text' as const),
      field: fc.constant(field),
      negated: fc.boolean(),
      values: fc.array(fc.constantFrom<string>(...choices, `${choices[0]!.slice(0, 3)}*`), {
        minLength: 1,
        maxLength: 2,
      }),
    }),
  ),
  fc.record({
    type: fc.constant('text' as const),
    field: fc.constant('mac' as const),
    negated: fc.boolean(),
    values: fc.array(macValue, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    type: fc.constant('text' as const),
    field: fc.constant('ip' as const),
    negated: fc.boolean(),
    values: fc.array(ipValue, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    type: fc.constant('text' as const),
    field: fc.constant('os' as const),
    negated: fc.boolean(),
    values: fc.array(fc.stringMatching(/^[a-z][a-z0-9.*-]{0,12}$/), { minLength: 1, maxLength: 2 }),
  }),
  fc
    .record({
      negated: fc.boolean(),
      op: fc.constantFrom<ImpactOperator>(':', '>=', '>', '<=', '<'),
      values: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    })
    .map(({ negated, op, values }): AssetFilterTerm => ({
      type: 'impact',
      field: 'impact',
      negated,
      op,
      values: op === ':' ? values : values.slice(0, 1),
    })),
  fc.record({
    type: fc.constant('flag' as const),
    field: fc.constantFrom('stale', 'unknown', 'hidden', 'reboot') as fc.Arbitrary<'stale'>,
    negated: fc.boolean(),
    value: fc.boolean(),
  }),
);

const filterArb: fc.Arbitrary<AssetFilter> = fc.record({ terms: fc.array(termArb, { maxLength: 6 }) });

/** Text a person might type: real and misspelt fields, aliases, any case, odd spacing and quoting. */
const typedText = fc
  .array(
    fc.tuple(
      fc.constantFrom('', '-'),
      fc.constantFrom(
        'env',
        'Environment',
        'tag',
        'TAGS',
        'name',
        'impact',
        'kind',
        'os',
        'ip',
        'mac',
        'stale',
        'enviroment',
        'x',
      ),
      fc.constantFrom(':', '=', '>=', '<', ''),
      fc.array(
        fc.oneof(
          fc.stringMatching(/^[A-Za-z0-9*.:-]{0,8}$/),
          fc.string({ maxLength: 6 }).map((s) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`),
          fc.constantFrom('true', 'false', '4', 'server', '10.0.0.0/8', 'AA-BB-CC-DD-EE-FF'),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      fc.constantFrom(' ', '  ', '\t', ' \n '),
    ),
    { maxLength: 5 },
  )
  .map((terms) =>
    terms.map(([sign, field, op, values, gap]) => `${sign}${field}${op}${values.join('|')}${gap}`).join(''),
  );

describe('format/parse round trip (property)', () => {
  it('parse(format(f)) equals f for every filter', () => {
    fc.assert(
      fc.property(filterArb, (filter) => {
        expect(parseAssetFilter(formatAssetFilter(filter))).toEqual(filter);
      }),
      { numRuns: 2000 },
    );
  });

  it('format(parse(x)) parses to an equivalent filter, or x is refused with a located error', () => {
    let parsed = 0;
    fc.assert(
      fc.property(fc.oneof(typedText, fc.string({ maxLength: 40 })), (text) => {
        let filter: AssetFilter;
        try {
          filter = parseAssetFilter(text);
        } catch (error) {
          expect(error).toBeInstanceOf(PatchwardenError);
          const column = (error as PatchwardenError).details['column'] as number;
          expect(column).toBeGreaterThanOrEqual(1);
          expect(column).toBeLessThanOrEqual(text.length + 1);
          return;
        }
        parsed++;
        const canonical = formatAssetFilter(filter);
        expect(parseAssetFilter(canonical)).toEqual(filter);
        expect(formatAssetFilter(parseAssetFilter(canonical))).toBe(canonical);
      }),
      { numRuns: 3000 },
    );
    // The generator must produce valid filters too, or the property would test only errors.
    expect(parsed).toBeGreaterThan(300);
  });
});
