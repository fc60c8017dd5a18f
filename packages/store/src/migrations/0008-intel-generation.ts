import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * One counter, moved by every write that changes stored intelligence (advisories, CVE records,
 * KEV, EPSS, CWE) in that write's transaction. A process that keeps intel in memory to compute
 * findings (FindingsService: advisories indexed once, not per inventory) compares it before use
 * and starts over when it moved, whichever process wrote.
 * Frozen once released (takes `Kysely<unknown>`, as 0001 does).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table intel_generation (
    id smallint primary key default 1 check (id = 1),
    n bigint not null default 0)`.execute(db);
  await sql`insert into intel_generation (id, n) values (1, 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table intel_generation`.execute(db);
}
