/**
 * Test support for the intel readers (imported by their tests only): read a feed completely, and
 * check that truncated or garbled copies of real files end in records and issues, or at worst a
 * PatchwardenError, never a stray exception or a hang.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { PatchwardenError } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';

export async function readAll(
  reader: FeedReader,
  path: string,
  options?: ReadOptions,
): Promise<FeedRecord[]> {
  const records: FeedRecord[] = [];
  for await (const record of reader.read(path, options)) records.push(record);
  return records;
}

export function ofKind<K extends FeedRecord['kind']>(
  records: FeedRecord[],
  kind: K,
): Extract<FeedRecord, { kind: K }>[] {
  return records.filter((r): r is Extract<FeedRecord, { kind: K }> => r.kind === kind);
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 16 }),
      fc.constantFrom(
        ...['"', '{', '}', '[', ']', ',', '\n', '<', '>', '\u0000', '::', '#'].map((s) => Buffer.from(s)),
      ),
    ),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.nat(200),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.nat(400),
  }),
);

function apply(data: Buffer, change: Mutation): Buffer {
  const at = Math.floor(change.at * data.length);
  switch (change.kind) {
    case 'truncate':
      return data.subarray(0, at);
    case 'overwrite':
      return Buffer.concat([
        data.subarray(0, at),
        Buffer.from(change.bytes),
        data.subarray(at + change.bytes.length),
      ]);
    case 'delete':
      return Buffer.concat([data.subarray(0, at), data.subarray(at + change.length)]);
    case 'duplicate':
      return Buffer.concat([data.subarray(0, at + change.length), data.subarray(at)]);
  }
}

const HANG_MS = 10_000;

async function readWithin(reader: FeedReader, path: string): Promise<FeedRecord[]> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`reader did not finish within ${HANG_MS} ms: ${path}`)),
      HANG_MS,
    );
  });
  try {
    return await Promise.race([readAll(reader, path), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `reader` over `runs` damaged copies of `sources` (the uncompressed content; `gzip` stores
 * some copies gzipped, as feeds are distributed) and fails on any error that is not a
 * PatchwardenError, or a read that does not finish. Returns how many copies produced issues.
 */
export async function assertSurvivesHostileCopies(
  reader: FeedReader,
  sources: string[],
  options: { runs?: number; gzip?: boolean; seed?: number } = {},
): Promise<{ runs: number; withIssues: number; thrown: number }> {
  const contents = await Promise.all(
    sources.map(async (path) => ({ name: basename(path).replace(/\.gz$/, ''), data: await readFile(path) })),
  );
  const dir = await mkdtemp(join(tmpdir(), `pw-${reader.feed}-fuzz-`));
  const stats = { runs: 0, withIssues: 0, thrown: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(contents.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (which, changes, zip) => {
          const source = contents[which];
          if (!source) return;
          const damaged = changes.reduce(apply, source.data);
          const gzipped = options.gzip === true && zip;
          const path = join(dir, `${stats.runs}-${source.name}${gzipped ? '.gz' : ''}`);
          await writeFile(path, gzipped ? gzipSync(damaged) : damaged);
          stats.runs += 1;
          try {
            const records = await readWithin(reader, path);
            if (records.some((r) => r.kind === 'issue')) stats.withIssues += 1;
          } catch (error) {
            if (!(error instanceof PatchwardenError)) throw error;
            stats.thrown += 1;
          } finally {
            await rm(path, { force: true });
          }
        },
      ),
      { numRuns: options.runs ?? 60, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return stats;
}
