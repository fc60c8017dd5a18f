import { readFileSync } from 'node:fs';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { goldenPackages } from '../../test/trivy-golden.ts';
import { parseYarnLock } from './yarn-lock.ts';

const LOCKS = 'inventory/lockfiles/osv-scalibr/yarnlock';

function parse(relative: string) {
  const path = fixturePath(`${LOCKS}/${relative}`);
  return parseYarnLock(readFileSync(path, 'utf8'), path);
}

function pairs(relative: string): string[] {
  return parse(relative).packages.map((p) => `${p.name}@${p.version}`);
}

describe('parseYarnLock on osv-scalibr edge cases', () => {
  it('reports aliases under the real name, in v1 and Berry', () => {
    const expected = ['ansi-regex@5.0.1', 'ansi-regex@6.0.1', '@babel/helper-validator-identifier@7.22.20'];
    expect(pairs('with-aliases.v1.lock')).toEqual(expected);
    expect(pairs('with-aliases.v2.lock')).toEqual(expected);
  });

  it('records the line of the entry and builds an npm purl', () => {
    const path = fixturePath(`${LOCKS}/with-aliases.v2.lock`);
    const [first] = parseYarnLock(readFileSync(path, 'utf8'), path).packages;
    expect(first).toEqual({
      ecosystem: 'npm',
      name: 'ansi-regex',
      version: '5.0.1',
      purl: 'pkg:npm/ansi-regex@5.0.1',
      kind: 'language',
      packageManager: 'yarn',
      location: { file: path, line: 8 },
    });
  });

  it('reads scoped packages and quoted keys and fields', () => {
    expect(pairs('scoped-packages.v1.lock')).toContain('@babel/code-frame@7.12.11');
    expect(pairs('scoped-packages.v2.lock').every((p) => p.startsWith('@'))).toBe(true);
    expect(pairs('with-quotes.v1.lock')).toEqual(['concat-map@0.0.1', 'concat-stream@1.6.2']);
    expect(pairs('with-quotes.v2.lock')).toEqual(['compare-func@2.0.0', 'concat-map@0.0.1']);
  });

  it('reports a version resolved by several ranges once', () => {
    expect(pairs('multiple-constraints.v1.lock')).toEqual([
      'domelementtype@1.3.1',
      '@babel/code-frame@7.12.13',
    ]);
  });

  it('keeps git and tarball dependencies with their declared version', () => {
    expect(pairs('commits.v1.lock')).toContain('@bower_components/angular-animate@1.4.14');
    expect(pairs('commits.v2.lock')).toEqual([
      '@my-scope/my-first-package@0.0.6',
      'my-second-package@0.2.2',
      '@typegoose/typegoose@7.2.0',
      'vuejs@2.5.0',
      'my-third-package@0.16.1-dev',
      'my-node-sdk@1.1.0',
      'is-really-great@1.0.0',
    ]);
    expect(pairs('with-build-string.v2.lock')).toEqual(['domino@2.1.6+git', 'tslib@2.6.2']);
  });

  it('skips workspaces and local folders', () => {
    expect(pairs('exclude-root.v2.lock')).toEqual(['ansi-regex@6.1.0']);
    expect(pairs('files.v2.lock')).toEqual([]);
    expect(pairs('metadata-only.v2.lock')).toEqual([]);
  });
});

describe('parseYarnLock on handwritten Berry entries', () => {
  it('folds a patch: entry into the package it patches and skips link: and portal:', () => {
    const text = [
      '__metadata:',
      '  version: 8',
      '',
      '"resolve@npm:^1.22.1":',
      '  version: 1.22.8',
      '  resolution: "resolve@npm:1.22.8"',
      '',
      '"resolve@patch:resolve@npm%3A^1.22.1#optional!builtin<compat/resolve>":',
      '  version: 1.22.8',
      '  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"',
      '',
      '"tools@link:./tools::locator=app%40workspace%3A.":',
      '  version: 0.0.0-use.local',
      '  resolution: "tools@link:./tools::locator=app%40workspace%3A."',
      '',
      '"vendored@file:./vendor/vendored-1.0.0.tgz::locator=app%40workspace%3A.":',
      '  version: 1.0.0',
      '  resolution: "vendored@file:./vendor/vendored-1.0.0.tgz::locator=app%40workspace%3A."',
      '',
    ].join('\n');
    const fragment = parseYarnLock(text, 'yarn.lock');
    expect(fragment.packages.map((p) => `${p.name}@${p.version}:${p.location?.line}`)).toEqual([
      'resolve@1.22.8:4',
      'vendored@1.0.0:16',
    ]);
    expect(fragment.warnings).toEqual([]);
  });

  it('throws PW_ERR_PARSE with the line for broken YAML', () => {
    let thrown: unknown;
    try {
      parseYarnLock('__metadata:\n  version: 8\n\n"a@npm:1":\n  version: [1\n', 'yarn.lock');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect((thrown as PatchwardenError).code).toBe('PW_ERR_PARSE');
    expect((thrown as PatchwardenError).details.file).toBe('yarn.lock');
    expect((thrown as PatchwardenError).details.line).toBeGreaterThanOrEqual(5);
  });
});

describe('parseYarnLock against Trivy’s expected output', () => {
  it('finds every package of yarn.json.golden, at the same line', () => {
    const path = fixturePath('inventory/trivy-integration/lockfiles/yarn/yarn.lock');
    const fragment = parseYarnLock(readFileSync(path, 'utf8'), path);
    const golden = goldenPackages(fixturePath('inventory/trivy-integration/expected/yarn.json.golden'));
    expect(golden).toEqual([{ name: 'jquery', version: '3.2.1', line: 10 }]);
    const ours = fragment.packages.map((p) => `${p.name}@${p.version}:${p.location?.line}`);
    expect(ours).toContain('jquery@3.2.1:10');
    // Trivy drops dev-only packages (promise and its dependency asap); inventory keeps them.
    expect(ours).toEqual(['asap@2.0.6:5', 'jquery@3.2.1:10', 'promise@8.0.3:15']);
  });
});

describe('parseYarnLock on large real lockfiles', () => {
  const vulsio = sharedDataPath('lockfiles/vulsio-integration/yarn.lock');
  it.skipIf(!vulsio)('reads the vulsio/integration yarn.lock (v1)', () => {
    const text = readFileSync(vulsio!, 'utf8');
    const fragment = parseYarnLock(text, vulsio!);
    const versionLines = text.split('\n').filter((line) => /^ {2}version "/.test(line)).length;
    console.info(
      `[yarn] vulsio yarn.lock: ${versionLines} entries -> ${fragment.packages.length} distinct packages`,
    );
    expect(fragment.warnings).toEqual([]);
    // yarn v1 writes one entry per resolved name@version, so nothing collapses here.
    expect(fragment.packages).toHaveLength(versionLines);
    expect(fragment.packages.every((p) => p.location?.line !== undefined)).toBe(true);
  });
});
