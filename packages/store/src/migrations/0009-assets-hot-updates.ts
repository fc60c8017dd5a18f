import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Every accepted upload moves its asset's `inventory_at`, `last_seen` and `updated_at`, and every
 * heartbeat batch its `last_seen`. With `inventory_at` indexed, each such update wrote a new entry
 * into all nine of the table's indexes (two of them GIN indexes over addresses); PostgreSQL's own
 * profile of the check-in benchmark showed index inserts as the largest part of its work per
 * upload. Without that index no updated column is indexed, so the update can be a heap-only
 * tuple (HOT) update: no index is touched. That needs free room on the row's page, hence a fill
 * factor of 80 (new and rewritten pages keep a fifth free; pruning frees the rest).
 *
 * Nothing read through the index: the stale filter compares `inventory_at` inside `coalesce` and
 * the unknown filter tests it for null, both evaluated row by row with the other filter terms.
 * Frozen once released (takes `Kysely<unknown>`, as 0001 does).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists assets_inventory_at_idx`.execute(db);
  await sql`alter table assets set (fillfactor = 80)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table assets reset (fillfactor)`.execute(db);
  await sql`create index assets_inventory_at_idx on assets (inventory_at)`.execute(db);
}
