/**
 * Helpers for the feed readers' tests only: temp files, archives built at test time (so no
 * binary fixture has to be committed), and a fast-check arbitrary that damages valid input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { PatchwardenError } from '@patchwarden/core';
import type { FeedReader, FeedRecord, ReadOptions } from '../feed-record.ts';

export function tempDir(prefix: string): {
  dir: string;
  file: (name: string, content: string | Buffer) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), `pw-${prefix}-`));
  return {
    dir,
    file: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Everything a reader yields, or the error it threw; rejects if it has not finished in time. */
export async function collect(
  reader: FeedReader,
  path: string,
  options?: ReadOptions,
  timeoutMs = 10_000,
): Promise<FeedRecord[]> {
  const records: FeedRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${reader.feed} reader did not finish ${path} in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const run = (async () => {
    for await (const record of reader.read(path, options)) records.push(record);
    return records;
  })();
  try {
    return await Promise.race([run, hung]);
  } finally {
    clearTimeout(timer);
  }
}

export function advisoriesOf(records: FeedRecord[]) {
  return records.flatMap((r) => (r.kind === 'advisory' ? [r.advisory] : []));
}

export function issuesOf(records: FeedRecord[]) {
  return records.flatMap((r) => (r.kind === 'issue' ? [r.issue] : []));
}

/**
 * Reads damaged input and checks the hostile-input contract: the reader finishes, and it either
 * yields (issues for what it could not use) or throws a PatchwardenError naming the file.
 */
export async function readHostile(
  reader: FeedReader,
  path: string,
): Promise<FeedRecord[] | PatchwardenError> {
  try {
    return await collect(reader, path, undefined, 5_000);
  } catch (thrown) {
    if (thrown instanceof PatchwardenError && thrown.details.file !== undefined) return thrown;
    throw thrown;
  }
}

/** Valid bytes damaged the ways downloads and hand edits damage them. */
export function damaged(valid: Buffer): fc.Arbitrary<Buffer> {
  const at = fc.nat({ max: Math.max(0, valid.length) });
  return fc.oneof(
    at.map((cut) => valid.subarray(0, cut)),
    fc
      .tuple(at, fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([pos, noise]) =>
        Buffer.concat([valid.subarray(0, pos), Buffer.from(noise), valid.subarray(pos + noise.length)]),
      ),
    fc
      .tuple(at, at)
      .map(([a, b]) => Buffer.concat([valid.subarray(0, Math.min(a, b)), valid.subarray(Math.max(a, b))])),
    fc
      .tuple(
        at,
        fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '\n', '\t', ' ', '\0', '\uFFFD', '-', '(', ')'),
      )
      .map(([pos, char]) => Buffer.concat([valid.subarray(0, pos), Buffer.from(char), valid.subarray(pos)])),
    fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
  );
}

/** A zip archive (deflated entries), built the way `zip` writes one. */
export function zipOf(entries: { name: string; content: string | Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, content } of entries) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A ustar archive; names over 100 bytes get a pax `path` record, as GNU tar writes them. */
export function tarOf(
  entries: { name: string; content?: string; type?: '0' | '5' | '2'; mtime?: Date }[],
): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, size: number, type: string, mtime: Date): Buffer => {
    const block = Buffer.alloc(512);
    block.write(name.slice(0, 100), 0, 'utf8');
    block.write('0000644\0', 100);
    block.write('0000000\0', 108);
    block.write('0000000\0', 116);
    block.write(size.toString(8).padStart(11, '0') + '\0', 124);
    block.write(
      Math.floor(mtime.getTime() / 1000)
        .toString(8)
        .padStart(11, '0') + '\0',
      136,
    );
    block.write('        ', 148);
    block.write(type, 156);
    block.write('ustar\0', 257);
    block.write('00', 263);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    return block;
  };
  const body = (data: Buffer): Buffer[] => [data, Buffer.alloc((512 - (data.length % 512)) % 512)];
  for (const entry of entries) {
    const data = Buffer.from(entry.content ?? '');
    const mtime = entry.mtime ?? new Date('2020-06-18T13:40:00Z');
    if (Buffer.byteLength(entry.name) > 100) {
      const record = ` path=${entry.name}\n`;
      let length = record.length;
      length += String(length + String(length).length).length;
      const pax = Buffer.from(`${length}${record}`);
      blocks.push(header('PaxHeader', pax.length, 'x', mtime), ...body(pax));
    }
    blocks.push(header(entry.name, data.length, entry.type ?? '0', mtime), ...body(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
