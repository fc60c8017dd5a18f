import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findLockfiles, parseLockfiles } from './lockfiles.ts';

const FIXTURES = fileURLToPath(
  new URL('../../../../fixtures/inventory/trivy-integration/lockfiles/', import.meta.url),
);
const root = mkdtempSync(join(tmpdir(), 'pw-agent-lockfiles-'));
after(() => rmSync(root, { recursive: true, force: true }));

function place(relative: string, fixture: string): string {
  const path = join(root, relative);
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(join(FIXTURES, fixture), path);
  return path;
}

// srv/a/package-lock.json              depth 1
// srv/b/c/yarn.lock                    depth 2
// srv/d/e/f/g/pnpm-lock.yaml           depth 4
// srv/a/node_modules/x/package-lock.json   skipped: node_modules
// srv/.git/package-lock.json           skipped: .git
// srv/loop -> srv                      symlink, not followed
const npm = place('srv/a/package-lock.json', 'npm/package-lock.json');
const yarn = place('srv/b/c/yarn.lock', 'yarn/yarn.lock');
const pnpm = place('srv/d/e/f/g/pnpm-lock.yaml', 'pnpm/pnpm-lock.yaml');
place('srv/a/node_modules/x/package-lock.json', 'npm/package-lock.json');
place('srv/.git/package-lock.json', 'npm/package-lock.json');
symlinkSync(join(root, 'srv'), join(root, 'srv/loop'));
writeFileSync(join(root, 'srv/a/package.json'), '{}');

describe('findLockfiles', () => {
  it('walks down to the depth limit, skipping node_modules, .git and symbolic links', async () => {
    const deep = await findLockfiles([join(root, 'srv')], 6);
    assert.deepEqual(deep.files, [npm, yarn, pnpm]);
    assert.deepEqual(deep.warnings, []);
    assert.deepEqual((await findLockfiles([join(root, 'srv')], 2)).files, [npm, yarn]);
    assert.deepEqual((await findLockfiles([join(root, 'srv')], 0)).files, []);
  });

  it('reports a file once when roots overlap, takes a file root as is, and warns about a missing root', async () => {
    const found = await findLockfiles(
      [join(root, 'srv'), join(root, 'srv/a'), npm, join(root, 'nowhere')],
      6,
    );
    assert.deepEqual(found.files, [npm, yarn, pnpm]);
    assert.equal(found.warnings.length, 1);
    assert.match(found.warnings[0] ?? '', /nowhere/);
  });
});

describe('parseLockfiles', () => {
  it('parses each real lockfile and turns a broken one into a warning', async () => {
    const broken = join(root, 'broken/package-lock.json');
    mkdirSync(dirname(broken), { recursive: true });
    writeFileSync(broken, '{ "lockfileVersion": 3, "packages": ');
    const { fragments, warnings } = await parseLockfiles([npm, yarn, pnpm, broken]);
    assert.deepEqual(
      fragments.map((f) => f.format),
      ['npm-package-lock', 'yarn-lock', 'pnpm-lock'],
    );
    for (const f of fragments) assert.ok(f.packages.length > 0, `${f.file} has packages`);
    assert.ok(warnings.some((w) => w.startsWith(broken)));
  });
});
