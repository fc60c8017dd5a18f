import { Migrator } from 'kysely';
import type { Kysely } from 'kysely';
import { MIGRATIONS, migrationProvider } from '../migrations/migrations.ts';

/**
 * Takes the schema back to just before migration `name` (running the `down` of it and of every
 * later one), as a migration's test does to write data the old way. Throws when a `down` fails.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: the migrations take Kysely<unknown>
export async function migrateToBefore(db: Kysely<any>, name: string): Promise<void> {
  const names = Object.keys(MIGRATIONS).sort();
  const at = names.indexOf(name);
  if (at < 1) throw new Error(`no migration before ${name}`);
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(names[at - 1]!);
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
}
