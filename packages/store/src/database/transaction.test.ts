import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import type { Database } from './open-database.ts';
import { openDatabase } from './open-database.ts';

/** A CWE row is the smallest row of the schema; these tests are about transactions, not data. */
function cweRow(id: string): { id: string; name: string } {
  return { id, name: `test row ${id}` };
}

async function cweIds(database: Database): Promise<string[]> {
  const rows = await database.db.selectFrom('cwe').select('id').orderBy('id').execute();
  return rows.map((row) => row.id);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

for (const backend of BACKENDS) {
  describe(`transactions on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
    });
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });
    beforeEach(async () => {
      await database.db.deleteFrom('cwe').execute();
    });

    it('commits when the function resolves and rolls back when it throws', async () => {
      await database.transaction((trx) => trx.insertInto('cwe').values(cweRow('CWE-1')).execute());
      const failure = database.transaction(async (trx) => {
        await trx.insertInto('cwe').values(cweRow('CWE-2')).execute();
        throw new Error('abandon');
      });
      await expect(failure).rejects.toThrow('abandon');
      expect(await cweIds(database)).toEqual(['CWE-1']);
    });

    it('rolls back after a statement fails inside the transaction', async () => {
      const failure = database.transaction(async (trx) => {
        await trx.insertInto('cwe').values(cweRow('CWE-3')).execute();
        await trx.insertInto('cwe').values(cweRow('CWE-3')).execute(); // duplicate key
      });
      await expect(failure).rejects.toThrow(/duplicate key/);
      expect(await cweIds(database)).toEqual([]);
      // The session is usable again: no aborted transaction was left behind.
      await database.db.insertInto('cwe').values(cweRow('CWE-4')).execute();
      expect(await cweIds(database)).toEqual(['CWE-4']);
    });

    it('keeps a concurrent write outside an open transaction out of its rollback', async () => {
      const inserted = deferred();
      const release = deferred();
      const transaction = database.transaction(async (trx) => {
        await trx.insertInto('cwe').values(cweRow('CWE-10')).execute();
        inserted.resolve();
        await release.promise;
        throw new Error('roll back');
      });
      await inserted.promise;
      // On PGlite this waits for the session; on PostgreSQL it runs on another connection. Either
      // way it must not become part of the transaction that is about to roll back.
      const outside = database.db.insertInto('cwe').values(cweRow('CWE-11')).execute();
      const seen = database.db.selectFrom('cwe').select('id').execute();
      release.resolve();
      await expect(transaction).rejects.toThrow('roll back');
      await outside;
      expect((await seen).map((row) => row.id)).not.toContain('CWE-10');
      expect(await cweIds(database)).toEqual(['CWE-11']);
    });

    it('runs concurrent transactions without mixing their statements', async () => {
      const ids = Array.from({ length: 8 }, (_, i) => `CWE-${100 + i}`);
      const results = await Promise.allSettled(
        ids.map((id, i) =>
          database.transaction(async (trx) => {
            await trx.insertInto('cwe').values(cweRow(id)).execute();
            await new Promise((resolve) => setTimeout(resolve, 5));
            if (i % 2 === 1) throw new Error(`abandon ${id}`);
          }),
        ),
      );
      expect(results.map((result) => result.status)).toEqual(
        ids.map((_, i) => (i % 2 ? 'rejected' : 'fulfilled')),
      );
      expect(await cweIds(database)).toEqual(ids.filter((_, i) => i % 2 === 0));
    });

    it('applies the isolation level and access mode asked for', async () => {
      const level = await database.db
        .transaction()
        .setIsolationLevel('serializable')
        .setAccessMode('read only')
        .execute(async (trx) => {
          const { rows } = await sql<{ level: string; ro: string }>`
            select current_setting('transaction_isolation') as level,
                   current_setting('transaction_read_only') as ro`.execute(trx);
          return rows[0];
        });
      expect(level).toEqual({ level: 'serializable', ro: 'on' });
    });

    it('rolls back to a savepoint in a controlled transaction', async () => {
      const trx = await database.db.startTransaction().execute();
      await trx.insertInto('cwe').values(cweRow('CWE-20')).execute();
      const savepoint = await trx.savepoint('before_second').execute();
      await savepoint.insertInto('cwe').values(cweRow('CWE-21')).execute();
      const rolledBack = await savepoint.rollbackToSavepoint('before_second').execute();
      await rolledBack.insertInto('cwe').values(cweRow('CWE-22')).execute();
      await rolledBack.commit().execute();
      expect(await cweIds(database)).toEqual(['CWE-20', 'CWE-22']);
    });
  });
}
