import { readFileSync } from 'node:fs';
import { cp, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's first start runs initdb (4 s on an idle machine, over 10 s on a busy one). Test suites
 * need a fresh data directory each, so initdb runs once per PGlite version and machine into a
 * cached template, and each suite gets a copy: a cluster exactly as initdb left it, no schema.
 */
function pgliteVersion(): string {
  // The package's exports hide package.json; its entry point sits in dist/.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const VERSION = pgliteVersion();
const TEMPLATE = join(tmpdir(), `patchwarden-pglite-template-${VERSION}`);
const LOCK = `${TEMPLATE}.lock`;
const STALE_LOCK_MS = 120_000;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function buildTemplate(): Promise<void> {
  const building = await mkdtemp(`${TEMPLATE}.building-`);
  const pglite = await PGlite.create(building);
  await pglite.close();
  // Rename is atomic: a template directory that exists is complete.
  await rename(building, TEMPLATE).catch(async () => rm(building, { recursive: true, force: true }));
}

/** Builds the template once; parallel test files wait for whichever took the lock. */
async function ensureTemplate(): Promise<void> {
  while (!(await exists(TEMPLATE))) {
    let lock;
    try {
      lock = await open(LOCK, 'wx');
    } catch {
      const age = await stat(LOCK).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(LOCK, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      if (!(await exists(TEMPLATE))) await buildTemplate();
    } finally {
      await lock.close();
      await rm(LOCK, { force: true });
    }
  }
}

/** A new temporary directory holding a freshly initialised, empty PGlite cluster. */
export async function freshPgliteDataDir(): Promise<string> {
  await ensureTemplate();
  const dir = await mkdtemp(join(tmpdir(), 'pw-store-test-'));
  await cp(TEMPLATE, dir, { recursive: true });
  return dir;
}
