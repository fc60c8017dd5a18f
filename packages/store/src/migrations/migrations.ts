import type { Migration, MigrationProvider } from 'kysely';
import * as intel0001 from './0001-intel.ts';

/**
 * Every migration, by name; names sort in the order they run. A static list (not a folder scan)
 * so that bundlers and `tsx` see the imports and a deployed build cannot miss a file.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-intel': intel0001,
});

export const migrationProvider: MigrationProvider = Object.freeze({
  getMigrations: async () => ({ ...MIGRATIONS }),
});
