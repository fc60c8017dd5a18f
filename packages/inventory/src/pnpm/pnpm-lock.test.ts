import { readFileSync } from 'node:fs';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { goldenPackages } from '../../test/trivy-golden.ts';
import { parseKey, parsePnpmLock } from './pnpm-lock.ts';

const LOCKS = 'inventory/lockfiles/osv-scalibr/pnpmlock';

function parse(relative: string) {
  const path = fixturePath(`${LOCKS}/${relative}`);
  return parsePnpmLock(readFileSync(path, 'utf8'), path);
}

function pairs(relative: string): string[] {
  return parse(relative).packages.map((p) => `${p.name}@${p.version}`);
}

describe('parseKey', () => {
  it.each([
    ['/foo/1.0.0', 5.3, 'foo', '1.0.0'],
    ['/@foo/bar/1.0.0', 5.3, '@foo/bar', '1.0.0'],
    ['registry.npmjs.org/@foo/bar/1.1.0', 5.3, '@foo/bar', '1.1.0'],
    ['/foo/1.4.0_@types+babel__core@7.1.14', 5.3, 'foo', '1.4.0'],
    [
      '/@typescript-eslint/eslint-plugin/5.13.0_33fffc354ccfa91fbe7d1677b9395a0a',
      5.4,
      '@typescript-eslint/eslint-plugin',
      '5.13.0',
    ],
    [
      '/react-dom@18.3.0-canary-ab31a9ed2-20230824(react@18.3.0)',
      6,
      'react-dom',
      '18.3.0-canary-ab31a9ed2-20230824',
    ],
    ['/@babel/core@7.24.0(supports-color@8.1.1)', 6, '@babel/core', '7.24.0'],
    ['/react-dom@18.0.0-rc.3_react@18.2.0', 6, 'react-dom', '18.0.0-rc.3'],
    ['@typescript-eslint/parser@5.62.0', 9, '@typescript-eslint/parser', '5.62.0'],
    ['lodash.merge@4.6.2', 9, 'lodash.merge', '4.6.2'],
  ])('%s (v%s) -> %s %s', (key, version, name, pkgVersion) => {
    expect(parseKey(key, version)).toEqual({ name, version: pkgVersion });
  });

  it.each([
    ['invalidpath', 5.3],
    ['invalidpath', 9],
  ])('%s (v%s) -> undefined', (key, version) => {
    expect(parseKey(key, version)).toBeUndefined();
  });
});

describe('parsePnpmLock on osv-scalibr edge cases', () => {
  it('reads 5.x keys, with registry hosts and peer suffixes, and warns about the unreadable ones', () => {
    const fragment = parse('exotic.yaml');
    expect(fragment.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'foo@1.0.0',
      '@foo/bar@1.0.0',
      'foo@1.1.0',
      '@foo/bar@1.1.0',
      'foo@1.2.0',
      'foo@1.3.0',
      'foo@1.4.0',
    ]);
    expect(fragment.warnings).toEqual([
      'line 14: cannot read a package name and version from "github.com/kevva/is-positive", skipped',
      'line 18: cannot read a package name and version from "/foo/bar", skipped',
    ]);
  });

  it('collapses peer-dependency variants and agrees across lockfile versions 5, 6 and 9', () => {
    expect(pairs('peer-dependencies-advanced.yaml')).toContain('@typescript-eslint/parser@5.13.0');
    expect(pairs('peer-dependencies-advanced-v6.yaml')).toContain(
      'react-dom@18.3.0-canary-ab31a9ed2-20230824',
    );
    expect(pairs('peer-dependencies-advanced-rc-v6.yaml')).toEqual([
      'js-tokens@4.0.0',
      'loose-envify@1.4.0',
      'react-dom@18.0.0-rc.3',
      'react@18.2.0',
      'scheduler@0.21.0',
    ]);
    const v9 = pairs('peer-dependencies-advanced.v9.yaml');
    expect(v9).toHaveLength(13);
    expect(new Set(v9).size).toBe(13);
    expect(pairs('scoped-packages.yaml')).toEqual(['@typescript-eslint/types@5.13.0']);
    expect(pairs('scoped-packages-v6-lockfile.yaml')).toEqual(['@typescript-eslint/types@5.57.1']);
    expect(pairs('scoped-packages.v9.yaml')).toEqual(['@typescript-eslint/types@5.62.0']);
    expect(pairs('multiple-versions.v9.yaml')).toEqual(['uuid@8.0.0', 'uuid@8.3.2', 'xmlbuilder@11.0.1']);
  });

  it('takes name and version fields for git, tarball and file packages, and skips local folders', () => {
    expect(pairs('commits.yaml')).toEqual([
      'my-bitbucket-package@1.0.0',
      '@my-scope/my-package@1.0.0',
      '@my-scope/my-other-package@1.0.0',
      'faker-parser@0.0.1',
      'mocks@20.0.1',
    ]);
    expect(pairs('commits.v9.yaml')).toEqual(['ansi-regex@6.0.1', 'is-number@7.0.0']);
    expect(pairs('tarball.yaml')).toEqual(['@my-org/my-package@3.2.3']);
    expect(pairs('files.yaml')).toEqual(['my-file-package@0.0.0']);
  });

  it('records each package’s line and purl', () => {
    const path = fixturePath(`${LOCKS}/multiple-versions.v9.yaml`);
    const text = readFileSync(path, 'utf8');
    const fragment = parsePnpmLock(text, path);
    const lines = text.split('\n');
    for (const pkg of fragment.packages) {
      expect(lines[(pkg.location?.line ?? 0) - 1]).toMatch(
        new RegExp(`^ {2}'?${pkg.name}@${pkg.version}'?:`),
      );
      expect(pkg.purl).toBe(`pkg:npm/${pkg.name}@${pkg.version}`);
      expect(pkg.packageManager).toBe('pnpm');
    }
  });

  it('handles invalid keys, comment-only files and files that are not YAML mappings', () => {
    expect(parse('invalid-paths.yaml').warnings).toHaveLength(2);
    expect(pairs('invalid-paths.yaml')).toEqual(['acorn@8.7.0']);
    expect(parse('empty.yaml').packages).toEqual([]);
    expect(() => parse('not-yaml.txt')).toThrow(expect.objectContaining({ code: 'PW_ERR_INVALID_RECORD' }));
    let thrown: unknown;
    try {
      parsePnpmLock("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {\n", 'pnpm-lock.yaml');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect((thrown as PatchwardenError).code).toBe('PW_ERR_PARSE');
    expect((thrown as PatchwardenError).details).toMatchObject({
      file: 'pnpm-lock.yaml',
      line: expect.any(Number),
    });
  });

  it('reads every document of a multi-document lockfile (pnpm 10 config dependencies)', () => {
    const text = [
      '---',
      "lockfileVersion: '9.0'",
      'importers: {}',
      'packages:',
      "  '@pnpm/exe@10.0.0':",
      '    resolution: {integrity: sha512-x}',
      '---',
      "lockfileVersion: '9.0'",
      'packages:',
      '  left-pad@1.3.0:',
      '    resolution: {integrity: sha512-y}',
      '',
    ].join('\n');
    expect(parsePnpmLock(text, 'pnpm-lock.yaml').packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      '@pnpm/exe@10.0.0',
      'left-pad@1.3.0',
    ]);
  });
});

describe('parsePnpmLock against Trivy’s expected output', () => {
  it('finds every package of pnpm.json.golden', () => {
    const path = fixturePath('inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml');
    const fragment = parsePnpmLock(readFileSync(path, 'utf8'), path);
    const golden = goldenPackages(fixturePath('inventory/trivy-integration/expected/pnpm.json.golden'));
    expect(golden.map((g) => `${g.name}@${g.version}`)).toEqual(['jquery@3.3.9', 'lodash@4.17.4']);
    expect(fragment.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['jquery@3.3.9', 'lodash@4.17.4']);
  });
});

describe('parsePnpmLock on the vulsio/integration lockfiles', () => {
  const cases: ReadonlyArray<[string, string | undefined]> = [
    ['5.4', sharedDataPath('lockfiles/vulsio-integration/pnpm/pnpm-lock.yaml')],
    ['9.0', sharedDataPath('lockfiles/vulsio-integration/pnpm-v9/pnpm-lock.yaml')],
  ];
  for (const [version, path] of cases) {
    it.skipIf(!path)(
      `lockfile ${version}: one package per distinct name@version of the packages section`,
      () => {
        const text = readFileSync(path!, 'utf8');
        const fragment = parsePnpmLock(text, path!);
        const section = text.slice(text.indexOf('\npackages:\n'), text.indexOf('\nsnapshots:\n') >>> 0);
        const keys = [...section.matchAll(/^ {2}'?(\S.*?)'?:$/gm)].map((m) => m[1] ?? '');
        const distinct = new Set(keys.map((k) => JSON.stringify(parseKey(k, Number(version)))));
        console.info(`[pnpm] vulsio ${version}: ${keys.length} keys -> ${fragment.packages.length} packages`);
        expect(fragment.warnings).toEqual([]);
        expect(fragment.packages).toHaveLength(distinct.size);
        expect(fragment.packages.length).toBeGreaterThan(500);
        expect(fragment.packages.every((p) => p.location?.line !== undefined)).toBe(true);
      },
    );
  }
});
