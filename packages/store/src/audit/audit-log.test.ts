import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../database/open-database.ts';
import { openDatabase } from '../database/open-database.ts';
import type { Schema } from '../schema/schema.ts';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';
import type { TestTarget } from '../testing/test-database.ts';
import { csvCell } from './audit-csv.ts';
import { GENESIS_HASH } from './audit-entry.ts';
import type { AuditEntryInput } from './audit-entry.ts';
import { AuditLog } from './audit-log.ts';
import { canonicalJson, toJsonValue } from './canonical-json.ts';

/** Runs `statement` with the append-only triggers off: how a superuser could tamper with the table. */
async function asSuperuser(db: Kysely<Schema>, ...statements: ReturnType<typeof sql>[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`alter table audit_log disable trigger user`.execute(trx);
    for (const statement of statements) await statement.execute(trx);
    await sql`alter table audit_log enable trigger user`.execute(trx);
  });
}

function entry(index: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: { kind: 'user', id: `u${index % 3}`, name: ['alice', 'bob', 'carol'][index % 3]! },
    action: index % 2 === 0 ? 'asset.update' : 'user.create',
    target: { type: index % 2 === 0 ? 'asset' : 'user', id: `t${index}` },
    before: { n: index - 1 },
    after: { n: index, nested: { z: 1, a: [1, 2, { y: true, b: null }] } },
    ...extra,
  };
}

async function collect(chunks: AsyncIterable<string>): Promise<{ text: string; count: number }> {
  let text = '';
  let count = 0;
  for await (const chunk of chunks) {
    text += chunk;
    count++;
  }
  return { text, count };
}

describe('canonical JSON', () => {
  it('sorts keys at every level, keeps array order, and normalises what jsonb would change', () => {
    expect(canonicalJson(toJsonValue({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: 'x' } }))).toBe(
      '{"a":{"c":"x","d":[3,{"e":2,"f":1}]},"b":1}',
    );
    expect(toJsonValue({ a: undefined, d: new Date(0), n: Number.NaN })).toEqual({
      d: '1970-01-01T00:00:00.000Z',
      n: null,
    });
    expect(toJsonValue({ 'k\u0000': 'v\u0000\ud800' })).toEqual({ 'k\ufffd': 'v\ufffd\ufffd' });
    expect(toJsonValue('😀')).toBe('😀');
    expect(Object.getPrototypeOf(toJsonValue(JSON.parse('{"__proto__":{"x":1}}')))).toBe(Object.prototype);
    expect(toJsonValue(undefined)).toBeNull();
  });
});

describe('CSV cells', () => {
  it('quotes every cell and defuses what a spreadsheet would run as a formula', () => {
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      expect(csvCell(`${start}HYPERLINK("http://x")`)).toBe(`"'${start}HYPERLINK(""http://x"")"`);
    }
    expect(csvCell(42)).toBe('"42"');
    expect(csvCell(null)).toBe('""');
  });
});

for (const backend of BACKENDS) {
  describe(`AuditLog on ${backend}`, () => {
    let target: TestTarget;
    let database: Database;
    let audit: AuditLog;
    let now = Date.parse('2025-03-01T12:00:00.000Z');
    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      audit = new AuditLog(database, { clock: () => new Date(now) });
    });
    afterAll(async () => {
      await database?.close();
      await target?.remove();
    });
    beforeEach(async () => {
      await asSuperuser(database.db, sql`truncate audit_log`);
    });

    async function appendMany(count: number): Promise<void> {
      await database.transaction(async (trx) => {
        for (let index = 1; index <= count; index++) {
          now += 1000;
          await audit.append(entry(index), trx);
        }
      });
    }

    it('chains entries from the genesis hash, reads them back exactly, and verifies', async () => {
      const first = await audit.append(entry(1));
      const second = await audit.append(entry(2, { details: { 'z\u0000': 'nul', a: new Date(5) } }));
      expect(first.seq).toBe(1);
      expect(first.prevHash).toBe(GENESIS_HASH);
      expect(second.prevHash).toBe(first.hash);
      expect(second.details).toEqual({ 'z\ufffd': 'nul', a: '1970-01-01T00:00:00.005Z' });
      const { entries } = await audit.query();
      expect(entries).toEqual([second, first]);
      expect(await audit.verify()).toEqual({ ok: true, checked: 2, head: { seq: 2, hash: second.hash } });
    });

    it('refuses UPDATE, DELETE and TRUNCATE through the trigger', async () => {
      await appendMany(2);
      await expect(sql`update audit_log set action = 'x' where seq = 1`.execute(database.db)).rejects.toThrow(
        /append-only/,
      );
      await expect(sql`delete from audit_log where seq = 2`.execute(database.db)).rejects.toThrow(
        /append-only/,
      );
      await expect(sql`truncate audit_log`.execute(database.db)).rejects.toThrow(/append-only/);
      expect((await audit.verify()).checked).toBe(2);
    });

    it('detects an edited entry and names its seq', async () => {
      await appendMany(10);
      await asSuperuser(database.db, sql`update audit_log set details = '{"edited": true}' where seq = 6`);
      expect(await audit.verify()).toMatchObject({ ok: false, checked: 6, firstBadSeq: 6 });
    });

    it('detects an edit that also recomputes the hash, at the next entry', async () => {
      await appendMany(5);
      // A forger who recomputes entry 3's own hash still breaks the link from entry 4.
      await asSuperuser(
        database.db,
        sql`update audit_log set actor_name = 'mallory', hash = ${'f'.repeat(64)} where seq = 3`,
      );
      const result = await audit.verify();
      expect(result.ok).toBe(false);
      expect(result.firstBadSeq).toBe(3);
    });

    it('detects a deleted entry, a reordering and a truncated tail', async () => {
      await appendMany(8);
      const head = await audit.head();
      await asSuperuser(database.db, sql`delete from audit_log where seq = 4`);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'entry 4 is missing' });

      await asSuperuser(database.db, sql`truncate audit_log`);
      await appendMany(8);
      // Swap the contents of entries 5 and 6, keeping the numbering.
      await asSuperuser(
        database.db,
        sql`update audit_log set seq = case seq when 5 then 6 else 5 end + 100 where seq in (5, 6)`,
        sql`update audit_log set seq = seq - 100 where seq > 100`,
      );
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 5 });

      await asSuperuser(database.db, sql`truncate audit_log`);
      await appendMany(8);
      const recorded = await audit.head();
      expect(recorded).toEqual({ seq: 8, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(recorded).not.toEqual(head);
      await asSuperuser(database.db, sql`delete from audit_log where seq > 6`);
      // The shorter chain is valid in itself; only the head recorded elsewhere shows the loss.
      expect((await audit.verify()).ok).toBe(true);
      expect(await audit.verify({ expectedHead: recorded! })).toMatchObject({ ok: false, firstBadSeq: 7 });
    });

    it('serialises 50 concurrent appends into one unbroken chain', async () => {
      const started = Date.now();
      const appended = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          // Half in their own transaction, half inside a caller's transaction doing other work.
          index % 2 === 0
            ? audit.append(entry(index))
            : database.transaction(async (trx) => {
                await sql`select pg_sleep(0.001)`.execute(trx);
                return audit.append(entry(index), trx);
              }),
        ),
      );
      const seqs = appended.map((e) => e.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
      expect(new Set(appended.map((e) => e.prevHash)).size).toBe(50);
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 50 });
      console.log(`[audit] ${backend}: 50 concurrent appends in ${Date.now() - started} ms`);
    });

    it('writes appends that queue up together, and one bad entry fails alone', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, index) =>
          audit.append(
            index === 7
              ? // The table's check refuses this kind: the group rolls back and is retried entry by entry.
                entry(index, { actor: { kind: 'robot' as 'user', id: 'r1' } })
              : entry(index),
          ),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(
        Array.from({ length: 20 }, (_, index) => (index === 7 ? 'rejected' : 'fulfilled')),
      );
      const committed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(committed.map((e) => e.seq)).toEqual(Array.from({ length: 19 }, (_, index) => index + 1));
      expect(committed.map((e) => e.target.id)).toEqual(
        Array.from({ length: 20 }, (_, index) => `t${index}`).filter((id) => id !== 't7'),
      );
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 19 });

      // Without the bad entry, 20 queued appends take a couple of transactions, not 20.
      await audit.append(entry(100));
      const before = await audit.head();
      await Promise.all(Array.from({ length: 20 }, (_, index) => audit.append(entry(200 + index))));
      const { rows } = await sql<{ transactions: number }>`
        select count(distinct xmin::text)::int as transactions from audit_log where seq > ${before!.seq}`.execute(
        database.db,
      );
      expect(rows[0]!.transactions).toBeLessThanOrEqual(3);
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 40 });
    });

    it('appends after the head it wrote in one statement, and falls back when another writer moved it', async () => {
      // A second AuditLog is a second process: each knows only the heads it wrote itself.
      const other = new AuditLog(database, { clock: () => new Date(now) });
      const transactions = vi.spyOn(database, 'transaction');
      try {
        const first = await audit.append(entry(1));
        expect(transactions).toHaveBeenCalledTimes(1);
        const chained = [first];
        for (let index = 2; index <= 5; index++) chained.push(await audit.append(entry(index)));
        // Four appends after a head this log wrote: no transaction of their own.
        expect(transactions).toHaveBeenCalledTimes(1);
        expect(chained.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);

        const foreign = await other.append(entry(6));
        expect(foreign).toMatchObject({ seq: 6, prevHash: chained[4]!.hash });
        const after = await audit.append(entry(7));
        expect(after).toMatchObject({ seq: 7, prevHash: foreign.hash });
        expect(transactions).toHaveBeenCalledTimes(3);

        // An append inside a caller's transaction also moves the head the fast path expects.
        await database.transaction((trx) => audit.append(entry(8), trx));
        const next = await audit.append(entry(9));
        expect(next.seq).toBe(9);
        expect(await audit.verify()).toMatchObject({ ok: true, checked: 9 });
      } finally {
        transactions.mockRestore();
      }
    });

    it('never forks the chain when a one-statement append waits behind a caller holding the lock', async () => {
      await audit.append(entry(1));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let held!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      const caller = database.transaction(async (trx) => {
        const inside = await audit.append(entry(2), trx);
        held();
        await released;
        return inside;
      });
      await holding;
      // Sent while the caller holds the append lock; its snapshot cannot see the caller's entry.
      const waiting = audit.append(entry(3));
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      const inside = await caller;
      const outside = await waiting;
      expect(inside.seq).toBe(2);
      expect(outside).toMatchObject({ seq: 3, prevHash: inside.hash });
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 3 });
    });

    it('keeps one chain with two writers appending concurrently, alone and in transactions', async () => {
      const other = new AuditLog(database, { clock: () => new Date(now) });
      const appended = await Promise.all(
        Array.from({ length: 60 }, (_, index) => {
          const log = index % 3 === 0 ? other : audit;
          return index % 5 === 4
            ? database.transaction((trx) => log.append(entry(index), trx))
            : log.append(entry(index));
        }),
      );
      expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 60 }, (_, index) => index + 1),
      );
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 60 });
    });

    it('rolls an entry back with the transaction it was appended in, leaving no gap', async () => {
      await appendMany(2);
      await expect(
        database.transaction(async (trx) => {
          await audit.append(entry(3), trx);
          throw new Error('change failed');
        }),
      ).rejects.toThrow('change failed');
      const next = await audit.append(entry(4));
      expect(next.seq).toBe(3);
      expect((await audit.verify()).ok).toBe(true);
    });

    it('queries by actor, action (exact or prefix), target and time, newest first, in pages', async () => {
      const base = now;
      await appendMany(30);
      const byActor = await audit.query({ actor: 'bob' }, { limit: 100 });
      expect(byActor.entries).toHaveLength(10);
      expect(byActor.entries.every((e) => e.actor.name === 'bob')).toBe(true);
      expect((await audit.query({ actor: 'u1' })).entries).toHaveLength(10);
      expect((await audit.query({ action: 'user.*' })).entries).toHaveLength(15);
      expect((await audit.query({ action: 'user.' })).entries).toHaveLength(0);
      expect((await audit.query({ action: 'user_*' })).entries).toHaveLength(0);
      expect((await audit.query({ targetType: 'asset', targetId: 't4' })).entries.map((e) => e.seq)).toEqual([
        4,
      ]);
      const window = await audit.query({
        from: new Date(base + 10_000),
        to: new Date(base + 13_000).toISOString(),
      });
      expect(window.entries.map((e) => e.seq)).toEqual([12, 11, 10]);

      const pages: number[][] = [];
      let beforeSeq: number | undefined;
      do {
        const page = await audit.query(
          { action: 'asset.update' },
          { limit: 4, ...(beforeSeq ? { beforeSeq } : {}) },
        );
        pages.push(page.entries.map((e) => e.seq));
        beforeSeq = page.nextBeforeSeq;
      } while (beforeSeq !== undefined);
      expect(pages).toEqual([
        [30, 28, 26, 24],
        [22, 20, 18, 16],
        [14, 12, 10, 8],
        [6, 4, 2],
      ]);
      await expect(audit.query({ from: 'yesterday' })).rejects.toMatchObject({ code: 'PW_ERR_VALIDATION' });
    });

    it('exports JSON and CSV in streamed chunks, oldest first, with formulas defused', async () => {
      await appendMany(24);
      await audit.append(entry(25, { action: '=cmd|calc', actor: { kind: 'user', name: '@evil' } }));
      const json = await collect(audit.export('json', {}, { batchSize: 10 }));
      // An opening, three batches, a closing: streamed, never one string built in memory.
      expect(json.count).toBe(5);
      const parsed = JSON.parse(json.text) as { seq: number; hash: string }[];
      expect(parsed.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
      expect(parsed[24]).toEqual((await audit.query({}, { limit: 1 })).entries[0]);

      const filtered = JSON.parse((await collect(audit.export('json', { action: 'nothing' }))).text);
      expect(filtered).toEqual([]);

      const csv = await collect(audit.export('csv', { actorKind: 'user' }, { batchSize: 7 }));
      expect(csv.count).toBe(5);
      const lines = csv.text.split('\r\n').filter((line) => line !== '');
      expect(lines[0]).toBe(
        '"seq","at","actor_kind","actor_id","actor_name","action","target_type","target_id","before","after","details","prev_hash","hash"',
      );
      expect(lines).toHaveLength(26);
      expect(lines.at(-1)).toContain(`"'@evil","'=cmd|calc"`);
      expect((await audit.verify({ batchSize: 4 })).checked).toBe(25);
      await expect(collect(audit.export('xml' as 'csv'))).rejects.toMatchObject({
        code: 'PW_ERR_VALIDATION',
      });
    });
  });
}
