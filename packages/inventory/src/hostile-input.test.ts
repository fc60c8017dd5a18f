/**
 * Every parser meets input from outside: truncated uploads, corrupted files, the wrong file, random
 * bytes, and JSON/YAML of the right kind with the wrong shapes inside. Whatever it gets, a parser
 * must return a well-formed fragment or throw a PatchwardenError naming the file, and must finish
 * quickly. Seeds are the committed real fixtures, so this runs on a fresh clone.
 */
import { readFileSync } from 'node:fs';
import { PatchwardenError } from '@patchwarden/core';
import type { InventoryFormat, InventoryFragment } from '@patchwarden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { fixturePath } from '../../../test-support/shared-data.ts';
import { parseInventoryText } from './parse-inventory.ts';
import { INVENTORY_PARSERS } from './parse-inventory.ts';

const FILE = 'hostile-input';
/** Generous: the slowest real seed parses in a few milliseconds; a hang would take forever. */
const MAX_MS_PER_CALL = 3_000;
const RUNS = 60;

const fixture = (relative: string, maxChars = Infinity): string =>
  readFileSync(fixturePath(relative), 'utf8').slice(0, maxChars);

const VULS_SEED = JSON.stringify(
  {
    serverName: 'seed',
    family: 'rocky',
    release: '9.1',
    ipv4Addrs: ['10.0.2.15'],
    runningKernel: { release: '5.14.0-162.6.1.el9_1.x86_64' },
    scannedCves: {},
    packages: {
      bash: { name: 'bash', version: '5.1.8', release: '5.el9', arch: 'x86_64' },
      'openssl-libs': { name: 'openssl-libs', version: '1:3.0.1', release: '43.el9_0', arch: 'x86_64' },
    },
    SrcPackages: { openssl: { name: 'openssl', version: '1:3.0.1-43.el9_0', binaryNames: ['openssl-libs'] } },
  },
  null,
  2,
);

const SEEDS: Readonly<Record<InventoryFormat, string[]>> = {
  'dpkg-status': [
    fixture('inventory/dpkg/osv-scalibr-valid-status'),
    fixture('inventory/dpkg/trivy-ubuntu1804-status'),
  ],
  'rpm-qa': [
    'bash\t0:5.1.8-4.el9\tx86_64\tbash-5.1.8-4.el9.src.rpm\nopenssl-libs\t1:3.0.1-43.el9_0\tx86_64\topenssl-3.0.1-43.el9_0.src.rpm\n' +
      'gpg-pubkey\t0:b86b3716-61e69f29\t(none)\t(none)\nperl-IO-Zlib\t1:1.10-422.el8\tnoarch\tperl-5.26.3-422.el8.src.rpm\n',
  ],
  'apk-installed': [fixture('inventory/apk/osv-scalibr-installed')],
  'os-release': [
    'NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME=\'Alma\\\'\'\n',
  ],
  'vuls-scan': [VULS_SEED],
  'npm-package-lock': [
    fixture('inventory/lockfiles/osv-scalibr/packagelockjson/alias.v2.json'),
    fixture('inventory/lockfiles/osv-scalibr/packagelockjson/commits.v1.json'),
    fixture('inventory/lockfiles/osv-scalibr/packagelockjson/bundled-dependencies.v3.json'),
  ],
  'yarn-lock': [
    fixture('inventory/lockfiles/osv-scalibr/yarnlock/with-aliases.v1.lock'),
    fixture('inventory/lockfiles/osv-scalibr/yarnlock/commits.v2.lock'),
  ],
  'pnpm-lock': [
    fixture('inventory/lockfiles/osv-scalibr/pnpmlock/exotic.yaml'),
    fixture('inventory/lockfiles/osv-scalibr/pnpmlock/peer-dependencies-advanced-v6.yaml'),
    fixture('inventory/lockfiles/osv-scalibr/pnpmlock/peer-dependencies-advanced.v9.yaml'),
  ],
  'cyclonedx-json': [
    fixture('inventory/cyclonedx/defectdojo__log4j.json'),
    fixture('inventory/trivy-integration/expected/npm-cyclonedx.json.golden'),
  ],
  'cyclonedx-xml': [fixture('inventory/cyclonedx/defectdojo__cyclonedx_bom.xml')],
  'spdx-json': [
    fixture('inventory/sbom/trivy__happy-bom.spdx.json'),
    fixture('inventory/sbom/syft__alpine-3.10.syft.spdx.json'),
  ],
};

/** Top-level keys each JSON/YAML format reads, to fill with values of the wrong type. */
const SHAPES: Partial<Record<InventoryFormat, string[]>> = {
  'vuls-scan': ['family', 'release', 'serverName', 'ipv4Addrs', 'runningKernel', 'packages', 'SrcPackages'],
  'npm-package-lock': ['lockfileVersion', 'packages', 'dependencies'],
  'yarn-lock': ['__metadata', 'a@npm:^1.0.0', '"b@1"'],
  'pnpm-lock': ['lockfileVersion', 'packages', 'snapshots'],
  'cyclonedx-json': ['bomFormat', 'components', 'metadata'],
  'spdx-json': ['spdxVersion', 'packages', 'relationships', 'documentDescribes'],
};

interface Mutation {
  at: number;
  remove: number;
  insert: string;
}

const mutation = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 8 }),
  insert: fc.oneof(
    fc.constantFrom(
      '',
      '\n',
      '\n\n',
      ' ',
      '\t',
      ':',
      '"',
      "'",
      '{',
      '}',
      '[',
      ']',
      '<',
      '>',
      '@',
      '/',
      '(',
      '_',
      '#',
      '\\',
      '\u0000',
    ),
    fc.string({ maxLength: 6 }),
  ),
});

function mutate(seed: string, mutations: readonly Mutation[]): string {
  let text = seed;
  for (const m of mutations) {
    const at = text.length === 0 ? 0 : m.at % (text.length + 1);
    text = text.slice(0, at) + m.insert + text.slice(at + m.remove);
  }
  return text;
}

const randomBytes = fc.uint8Array({ maxLength: 2_000 }).map((bytes) => new TextDecoder().decode(bytes));

function shaped(format: InventoryFormat): fc.Arbitrary<string> | undefined {
  const keys = SHAPES[format];
  if (!keys) return undefined;
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    fc.array(
      fc.dictionary(
        fc.constantFrom('name', 'version', 'purl', 'type', 'components', 'SPDXID'),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    ),
  );
  const record = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length });
  return format === 'yarn-lock' || format === 'pnpm-lock'
    ? record.map((r) => toYaml(r))
    : record.map((r) => JSON.stringify(r));
}

function checkOutcome(format: InventoryFormat, text: string): void {
  const started = performance.now();
  let fragment: InventoryFragment | undefined;
  try {
    fragment = INVENTORY_PARSERS[format](text, FILE);
  } catch (error) {
    if (!(error instanceof PatchwardenError)) {
      throw new Error(
        `${format} threw a non-Patchwarden ${String(error)} for input ${JSON.stringify(text.slice(0, 300))}`,
        { cause: error },
      );
    }
    expect(['PW_ERR_PARSE', 'PW_ERR_INVALID_RECORD']).toContain(error.code);
    expect(error.details.file).toBe(FILE);
  }
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_CALL);
  if (!fragment) return;
  expect(fragment.format).toBe(format);
  expect(fragment.file).toBe(FILE);
  expect(Array.isArray(fragment.warnings) && fragment.warnings.every((w) => typeof w === 'string')).toBe(
    true,
  );
  for (const pkg of fragment.packages) {
    expect(typeof pkg.name === 'string' && pkg.name !== '').toBe(true);
    expect(typeof pkg.version === 'string' && pkg.version !== '').toBe(true);
    expect(pkg.location?.file).toBe(FILE);
  }
}

describe.each(Object.keys(SEEDS) as InventoryFormat[])('%s parser on hostile input', (format) => {
  const seeds = SEEDS[format];

  it('parses its real seeds without throwing', () => {
    for (const seed of seeds) {
      const fragment = INVENTORY_PARSERS[format](seed, FILE);
      expect(fragment.packages.length + (fragment.os ? 1 : 0)).toBeGreaterThan(0);
    }
  });

  it('survives truncation at any point', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), (seed, cut) =>
        checkOutcome(format, seed.slice(0, cut % (seed.length + 1))),
      ),
      { numRuns: RUNS },
    );
  });

  it('survives garbling', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 12 }),
        (seed, mutations) => checkOutcome(format, mutate(seed, mutations)),
      ),
      { numRuns: RUNS },
    );
  });

  it('survives random bytes and strings', () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, fc.string({ maxLength: 500 })), (text) => checkOutcome(format, text)),
      {
        numRuns: RUNS,
      },
    );
  });

  const wrongShapes = shaped(format);
  if (wrongShapes) {
    it('survives well-formed documents with wrong types inside', () => {
      fc.assert(
        fc.property(wrongShapes, (text) => checkOutcome(format, text)),
        { numRuns: RUNS },
      );
    });
  }
});

describe('deeply nested input', () => {
  const DEPTH = 10_000;

  it('walks a v1 package-lock nested 10,000 levels deep without overflowing the stack', () => {
    let deps = '{}';
    for (let i = DEPTH; i > 0; i--) deps = `{"p${i}": {"version": "1.0.${i}", "dependencies": ${deps}}}`;
    const fragment = INVENTORY_PARSERS['npm-package-lock'](
      `{"lockfileVersion": 1, "dependencies": ${deps}}`,
      FILE,
    );
    expect(fragment.packages).toHaveLength(DEPTH);
  });

  it('walks CycloneDX components nested 10,000 levels deep, in JSON and in XML', () => {
    let json = '[]';
    for (let i = DEPTH; i > 0; i--)
      json = `[{"type": "library", "purl": "pkg:npm/p${i}@1.0.0", "components": ${json}}]`;
    expect(
      INVENTORY_PARSERS['cyclonedx-json'](`{"bomFormat": "CycloneDX", "components": ${json}}`, FILE).packages,
    ).toHaveLength(DEPTH);
    const open = Array.from(
      { length: DEPTH },
      (_, i) => `<component type="library"><purl>pkg:npm/p${i}@1.0.0</purl><components>`,
    );
    const xml = `<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>${open.join('')}${'</components></component>'.repeat(DEPTH)}</components></bom>`;
    expect(INVENTORY_PARSERS['cyclonedx-xml'](xml, FILE).packages).toHaveLength(DEPTH);
  });

  it('turns YAML nested too deeply for its parser into PW_ERR_PARSE', () => {
    const text = `lockfileVersion: '9.0'\npackages: ${'['.repeat(100_000)}`;
    expect(() => INVENTORY_PARSERS['pnpm-lock'](text, FILE)).toThrow(
      expect.objectContaining({ code: 'PW_ERR_PARSE' }),
    );
    expect(() => INVENTORY_PARSERS['yarn-lock'](`a: ${'['.repeat(100_000)}`, FILE)).toThrow(
      expect.objectContaining({ code: 'PW_ERR_PARSE' }),
    );
  });

  it('refuses a YAML alias bomb', () => {
    const lines = ["lockfileVersion: '9.0'", 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    lines.push('packages: *l');
    expect(() => INVENTORY_PARSERS['pnpm-lock'](lines.join('\n'), FILE)).toThrow(
      expect.objectContaining({ code: 'PW_ERR_PARSE' }),
    );
  });
});

describe('parseInventoryText on hostile input', () => {
  it('only ever throws PatchwardenErrors', () => {
    const everySeed = Object.values(SEEDS).flat();
    fc.assert(
      fc.property(
        fc.oneof(
          randomBytes,
          fc
            .constantFrom(...everySeed)
            .chain((seed) => fc.array(mutation, { maxLength: 6 }).map((m) => mutate(seed, m))),
        ),
        (text) => {
          try {
            parseInventoryText(text, FILE);
          } catch (error) {
            expect(error).toBeInstanceOf(PatchwardenError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
