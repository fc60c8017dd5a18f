import { describe, expect, it } from 'vitest';
import { openDatabase } from './open-database.ts';
import { parseTimestamptz } from './type-parsers.ts';
import { sql } from 'kysely';
import { BACKENDS, freshTarget } from '../testing/test-database.ts';

describe('parseTimestamptz', () => {
  it.each([
    ['0001-01-01 00:00:00+00', '0001-01-01T00:00:00.000Z'],
    ['0099-12-31 23:59:59.5+00', '0099-12-31T23:59:59.500Z'],
    ['2026-03-29 03:00:00.123456+02', '2026-03-29T01:00:00.123Z'],
    ['2026-11-23 16:00:00-05:30', '2026-11-23T21:30:00.000Z'],
  ])('%s -> %s', (text, iso) => {
    expect(parseTimestamptz(text).toISOString()).toBe(iso);
  });
});

for (const backend of BACKENDS) {
  describe(`timestamps round-trip on ${backend}`, () => {
    it('keeps years below 100 (Go zero time) instead of reading them as 20xx', async () => {
      const target = await freshTarget(backend);
      const database = await openDatabase(target.options);
      try {
        const { rows } = await sql<{ t: Date }>`select '0001-01-01T00:00:00Z'::timestamptz as t`.execute(
          database.db,
        );
        expect(rows[0]!.t.toISOString()).toBe('0001-01-01T00:00:00.000Z');
      } finally {
        await database.close();
        await target.remove();
      }
    });
  });
}
