import type { Migration, MigrationProvider } from 'kysely';
import * as intel0001 from './0001-intel.ts';
import * as assets0002 from './0002-assets.ts';
import * as auth0003 from './0003-auth.ts';
import * as policy0004 from './0004-policy.ts';
import * as jobs0005 from './0005-jobs.ts';
import * as inventorySetArrays0006 from './0006-inventory-set-arrays.ts';
import * as setArraysUncompressed0007 from './0007-set-arrays-uncompressed.ts';
import * as intelGeneration0008 from './0008-intel-generation.ts';
import * as assetsHotUpdates0009 from './0009-assets-hot-updates.ts';

/**
 * Every migration, by name; names sort in the order they run. A static list (not a folder scan)
 * so that bundlers and `tsx` see the imports and a deployed build cannot miss a file.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-intel': intel0001,
  '0002-assets': assets0002,
  '0003-auth': auth0003,
  '0004-policy': policy0004,
  '0005-jobs': jobs0005,
  '0006-inventory-set-arrays': inventorySetArrays0006,
  '0007-set-arrays-uncompressed': setArraysUncompressed0007,
  '0008-intel-generation': intelGeneration0008,
  '0009-assets-hot-updates': assetsHotUpdates0009,
});

export const migrationProvider: MigrationProvider = Object.freeze({
  getMigrations: async () => ({ ...MIGRATIONS }),
});
