import { readFileSync } from 'node:fs';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { goldenPackages } from '../../test/trivy-golden.ts';
import { parsePackageLock } from './package-lock.ts';

const LOCKS = 'inventory/lockfiles/osv-scalibr/packagelockjson';

function parse(relative: string) {
  const path = fixturePath(`${LOCKS}/${relative}`);
  return parsePackageLock(readFileSync(path, 'utf8'), path);
}

function pairs(relative: string): string[] {
  return parse(relative).packages.map((p) => `${p.name}@${p.version}`);
}

describe('parsePackageLock on osv-scalibr edge cases', () => {
  it('reports aliases under the real package name (v1 and v2)', () => {
    const expected = ['@babel/code-frame@7.0.0', 'string-width@5.1.2', 'string-width@4.2.0'];
    expect(pairs('alias.v1.json')).toEqual(expected);
    expect(pairs('alias.v2.json')).toEqual(expected);
    expect(parse('alias.v2.json').packages[0]).toEqual({
      ecosystem: 'npm',
      name: '@babel/code-frame',
      version: '7.0.0',
      purl: 'pkg:npm/%40babel/code-frame@7.0.0',
      kind: 'language',
      packageManager: 'npm',
      location: { file: fixturePath(`${LOCKS}/alias.v2.json`), line: 13 },
    });
  });

  it('keeps bundled dependencies and skips the root project (v3)', () => {
    expect(pairs('bundled-dependencies.v3.json')).toEqual([
      'ansi-regex@6.2.2',
      'semver@7.7.2',
      'strip-ansi@7.1.2',
    ]);
  });

  it('reads scoped packages', () => {
    expect(pairs('scoped-packages.v1.json')).toEqual(pairs('scoped-packages.v2.json'));
    expect(pairs('scoped-packages.v2.json')).toContain('@babel/code-frame@7.0.0');
  });

  it('skips local folders (file: in v1, paths outside node_modules in v2) but not what they install', () => {
    expect(pairs('files.v1.json')).toEqual(['lodash@1.3.1']);
    // deps/etag is the project's own folder; deps/etag/node_modules/abbrev is installed.
    expect(pairs('files.v2.json')).toEqual(['abbrev@1.0.9', 'abbrev@2.3.4']);
  });

  it('keeps git dependencies: v2 with their package version, v1 with the commit URL and no purl', () => {
    const v2 = parse('commits.v2.json');
    expect(v2.packages.find((p) => p.name === 'babel-preset-php')).toMatchObject({ version: '1.1.1' });
    // raven-js has only `resolved` in this lockfile.
    expect(v2.warnings).toEqual([expect.stringMatching(/^line \d+: raven-js has no version, skipped$/)]);
    const v1 = parse('commits.v1.json').packages.find((p) => p.name === 'babel-preset-php');
    expect(v1?.version).toBe('gitlab:kornelski/babel-preset-php#c5a7ba5e0ad98b8db1cb8ce105403dd4b768cced');
    expect(v1?.purl).toBeUndefined();
  });

  it('reports each name@version once however often it is nested', () => {
    const packages = parse('nested-dependencies.v1.json').packages;
    const keys = packages.map((p) => `${p.name}@${p.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(pairs('nested-dependencies.v1.json').sort()).toEqual(pairs('nested-dependencies.v2.json').sort());
  });

  it('rejects JSON that is not a lockfile object and input that is not JSON', () => {
    expect(() => parse('null.v2.jsontest')).toThrow(
      expect.objectContaining({ code: 'PW_ERR_INVALID_RECORD' }),
    );
    let thrown: unknown;
    try {
      parse('not-json.txt');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect((thrown as PatchwardenError).code).toBe('PW_ERR_PARSE');
    expect((thrown as PatchwardenError).details).toMatchObject({
      file: fixturePath(`${LOCKS}/not-json.txt`),
      line: 1,
    });
  });

  it('returns no packages for an empty lockfile', () => {
    expect(parse('empty.v2.json').packages).toEqual([]);
  });
});

describe('parsePackageLock on handwritten v3 workspaces', () => {
  it('skips workspace folders and their node_modules links, keeps packages nested under a workspace', () => {
    const text = JSON.stringify(
      {
        name: 'mono',
        lockfileVersion: 3,
        packages: {
          '': { name: 'mono', workspaces: ['packages/*'] },
          'node_modules/@mono/app': { resolved: 'packages/app', link: true },
          'node_modules/left-pad': { version: '1.3.0' },
          'packages/app': { name: '@mono/app', version: '0.0.0' },
          'packages/app/node_modules/left-pad': { version: '1.1.3' },
        },
      },
      null,
      2,
    );
    const fragment = parsePackageLock(text, 'package-lock.json');
    const lines = text.split('\n');
    expect(fragment.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'left-pad@1.3.0',
      'left-pad@1.1.3',
    ]);
    expect(fragment.packages.map((p) => lines[(p.location?.line ?? 0) - 1]?.trim())).toEqual([
      '"node_modules/left-pad": {',
      '"packages/app/node_modules/left-pad": {',
    ]);
    expect(fragment.warnings).toEqual([]);
  });
});

describe('parsePackageLock against Trivy’s expected output', () => {
  it('finds every package of npm.json.golden, at the same line', () => {
    const path = fixturePath('inventory/trivy-integration/lockfiles/npm/package-lock.json');
    const fragment = parsePackageLock(readFileSync(path, 'utf8'), path);
    const golden = goldenPackages(fixturePath('inventory/trivy-integration/expected/npm.json.golden'));
    const ours = fragment.packages.map((p) => `${p.name}@${p.version}:${p.location?.line}`);
    expect(golden).toHaveLength(12);
    for (const pkg of golden) expect(ours).toContain(`${pkg.name}@${pkg.version}:${pkg.line}`);
    // Trivy leaves out dev dependencies; inventory keeps them (z-lock is `dev: true`).
    expect(fragment.packages.map((p) => p.name).filter((n) => !golden.some((g) => g.name === n))).toEqual([
      'z-lock',
    ]);
  });
});

describe('parsePackageLock on the vulsio/integration lockfiles (v1, v2, v3)', () => {
  const v1 = sharedDataPath('lockfiles/vulsio-integration/npm-v1/package-lock.json');
  const v2 = sharedDataPath('lockfiles/vulsio-integration/npm-v2/package-lock.json');
  const v3 = sharedDataPath('lockfiles/vulsio-integration/npm-v3/package-lock.json');

  it.skipIf(!v1 || !v2 || !v3)('reads each version; v2 lists the same packages in both its sections', () => {
    const read = (path: string) => parsePackageLock(readFileSync(path, 'utf8'), path);
    const [f1, f2, f3] = [read(v1!), read(v2!), read(v3!)];
    console.info(
      `[npm] vulsio npm-v1 ${f1.packages.length}, npm-v2 ${f2.packages.length}, npm-v3 ${f3.packages.length} packages`,
    );
    for (const fragment of [f1, f2, f3]) {
      expect(fragment.warnings).toEqual([]);
      expect(fragment.packages.length).toBeGreaterThan(200);
      expect(fragment.packages.every((p) => p.purl?.startsWith('pkg:npm/') && p.location?.line)).toBe(true);
    }
    // A v2 file repeats its tree in the v1-style `dependencies`: reading that half must agree.
    const doc = JSON.parse(readFileSync(v2!, 'utf8')) as Record<string, unknown>;
    const v1Half = parsePackageLock(
      JSON.stringify({ lockfileVersion: 1, dependencies: doc['dependencies'] }),
      'v1-half',
    );
    const names = (f: { packages: { name: string; version: string }[] }) =>
      f.packages.map((p) => `${p.name}@${p.version}`).sort();
    expect(names(v1Half)).toEqual(names(f2));
  });
});
