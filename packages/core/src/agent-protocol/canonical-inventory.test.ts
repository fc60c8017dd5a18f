import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/errors.ts';
import type { InstalledPackage, OsRelease } from '../inventory/installed-package.ts';
import { canonicalInventoryText } from './agent-protocol.ts';
import { packageOfCanonicalLine, splitCanonicalInventory } from './canonical-inventory.ts';

const os: OsRelease = {
  id: 'debian',
  versionId: '12',
  versionCodename: 'bookworm',
  prettyName: 'Debian GNU/Linux 12 (bookworm)',
  idLike: [],
};
const PACKAGES: InstalledPackage[] = [
  {
    name: 'libssl3',
    version: '3.0.15-1~deb12u1',
    sourceName: 'openssl',
    sourceVersion: '3.0.15-1~deb12u1',
    arch: 'amd64',
    kind: 'os',
    packageManager: 'dpkg',
    location: { file: '/var/lib/dpkg/status', line: 120 },
  },
  { name: 'bash', version: '5.2.15-2+b7', kind: 'os', packageManager: 'dpkg' },
  {
    name: 'lodash',
    version: '4.17.21',
    ecosystem: 'npm',
    purl: 'pkg:npm/lodash@4.17.21',
    kind: 'language',
    packageManager: 'npm',
    location: { file: '/srv/app/package-lock.json' },
  },
];

/** What the text keeps of a package: everything but the line it was read at. */
function withoutLine(p: InstalledPackage): InstalledPackage {
  return p.location ? { ...p, location: { file: p.location.file } } : p;
}

function problem(run: () => unknown): { message: string; line?: unknown } | undefined {
  try {
    run();
    return undefined;
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(PatchwardenError);
    const error = thrown as PatchwardenError;
    expect(error.code).toBe('PW_ERR_INVALID_RECORD');
    return { message: error.message, line: error.details['line'] };
  }
}

describe('splitCanonicalInventory and packageOfCanonicalLine', () => {
  it('read back exactly what canonicalInventoryText wrote', () => {
    const text = canonicalInventoryText(os, PACKAGES);
    const { os: read, packageLines } = splitCanonicalInventory(text);
    expect(read).toEqual(os);
    const packages = packageLines.map((line, i) => packageOfCanonicalLine(line, i + 3));
    const byName = (a: InstalledPackage, b: InstalledPackage) => a.name.localeCompare(b.name);
    expect([...packages].sort(byName)).toEqual(PACKAGES.map(withoutLine).sort(byName));
    expect(canonicalInventoryText(read, packages)).toBe(text);
    expect(splitCanonicalInventory(canonicalInventoryText(os, [])).packageLines).toEqual([]);
  });

  it('round-trips any inventory', () => {
    const text = fc.string({ maxLength: 12 });
    const pkg = fc.record(
      {
        name: fc.string({ minLength: 1, maxLength: 12 }),
        version: fc.string({ minLength: 1, maxLength: 12 }),
        kind: fc.constantFrom('os' as const, 'language' as const),
        packageManager: fc.constantFrom('dpkg' as const, 'rpm' as const, 'npm' as const),
        ecosystem: text,
        arch: text,
        sourceName: text,
        sourceVersion: text,
        purl: text,
        location: fc.record({ file: text }),
      },
      { requiredKeys: ['name', 'version', 'kind', 'packageManager'] },
    );
    fc.assert(
      fc.property(fc.array(pkg, { maxLength: 8 }), (packages) => {
        const written = canonicalInventoryText(os, packages);
        const split = splitCanonicalInventory(written);
        const read = split.packageLines.map((line, i) => packageOfCanonicalLine(line, i + 3));
        expect(canonicalInventoryText(split.os, read)).toBe(written);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what is not the canonical text, naming the line', () => {
    const [header, osLine, ...lines] = canonicalInventoryText(os, PACKAGES).split('\n');
    expect(problem(() => splitCanonicalInventory(''))).toMatchObject({ line: 1 });
    expect(problem(() => splitCanonicalInventory(header!))).toMatchObject({ line: 2 });
    expect(problem(() => splitCanonicalInventory(`${header}\n[]`))).toMatchObject({ line: 2 });
    expect(problem(() => splitCanonicalInventory(`${header}\n${osLine!.replace(',', ', ')}`))).toMatchObject({
      line: 2,
      message: expect.stringContaining('canonical form') as string,
    });
    expect(
      problem(() => splitCanonicalInventory([header, osLine, lines[1], lines[0], lines[2]].join('\n'))),
    ).toMatchObject({ line: 4, message: expect.stringContaining('sorted') as string });
    expect(problem(() => splitCanonicalInventory(`${header}\n${osLine}\n`))).toMatchObject({ line: 3 });
    expect(problem(() => packageOfCanonicalLine('["dpkg","os",null,"x"]', 9))).toMatchObject({
      line: 9,
      message: expect.stringContaining('inventory line 9') as string,
    });
    expect(problem(() => packageOfCanonicalLine(lines[0]!.replace('"os"', '"kernel"'), 3))).toMatchObject({
      line: 3,
      message: expect.stringContaining('element 1') as string,
    });
    // JSON's own escapes are canonical; other spellings of the same string are not.
    const escaped = JSON.stringify([
      'npm',
      'language',
      'npm',
      'a"b\\c\u0001',
      '1',
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(packageOfCanonicalLine(escaped, 3).name).toBe('a"b\\c\u0001');
    expect(problem(() => packageOfCanonicalLine(escaped.replace('a', '\\u0061'), 3))).toMatchObject({
      line: 3,
    });
  });

  it('survives hostile text: a PatchwardenError or a result, never anything else', () => {
    const valid = canonicalInventoryText(os, PACKAGES);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          // Damaged real text: a span replaced by arbitrary characters.
          fc
            .tuple(fc.nat(valid.length), fc.nat(40), fc.string({ maxLength: 40 }))
            .map(([at, cut, insert]) => valid.slice(0, at) + insert + valid.slice(at + cut)),
        ),
        (text) => {
          problem(() => {
            const split = splitCanonicalInventory(text);
            split.packageLines.forEach((line, i) => packageOfCanonicalLine(line, i + 3));
          });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
