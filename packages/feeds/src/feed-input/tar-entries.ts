import { pwError } from '@patchwarden/core';
import { ByteReader } from './byte-reader.ts';

export interface TarEntry {
  /** Full path inside the archive (ustar prefix, pax `path` and GNU long names applied). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mtime: Date;
  /** The file's bytes; absent for non-files and for files over `maxEntryBytes`. */
  content?: Buffer;
}

const BLOCK = 512;

export interface TarOptions {
  /** Bigger files are skipped over (content absent) so a hostile archive cannot exhaust memory. */
  maxEntryBytes?: number;
}

/**
 * A minimal streaming reader for ustar/pax/GNU tar, which is all `git archive` and GNU tar write.
 * Bytes are pulled block by block; nothing is extracted to disk. A corrupt header or an archive
 * that ends mid-entry throws PW_ERR_PARSE naming the offset.
 */
export async function* tarEntries(
  chunks: AsyncIterable<Buffer>,
  file: string,
  options: TarOptions = {},
): AsyncGenerator<TarEntry> {
  const maxEntryBytes = options.maxEntryBytes ?? 16 * 1024 * 1024;
  const reader = new ByteReader(chunks);
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (true) {
    const headerOffset = reader.offset;
    const header = await reader.read(BLOCK);
    if (header.length === 0) return; // some writers omit the two zero blocks
    if (header.length < BLOCK) throw truncated(file, headerOffset);
    if (header.every((byte) => byte === 0)) return;
    if (!checksumOk(header)) {
      throw pwError('PW_ERR_PARSE', `${file}: invalid tar header at byte ${headerOffset}`, {
        file,
        offset: headerOffset,
      });
    }
    const size = numeric(header.subarray(124, 136), file, headerOffset);
    const mtime = new Date(numeric(header.subarray(136, 148), file, headerOffset) * 1000);
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (typeflag === 'L' || typeflag === 'x' || typeflag === 'g') {
      if (size > maxEntryBytes) throw pwError('PW_ERR_PARSE', `${file}: oversized tar metadata`, { file });
      const body = await reader.read(padded);
      if (body.length < padded) throw truncated(file, headerOffset);
      const text = body.subarray(0, size).toString('utf8');
      if (typeflag === 'L') longName = text.replace(/\0.*$/s, '');
      else if (typeflag === 'x') paxPath = paxRecord(text, 'path') ?? paxPath;
      continue;
    }

    const path = longName ?? paxPath ?? ustarPath(header);
    longName = undefined;
    paxPath = undefined;
    const type =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '5'
          ? 'directory'
          : typeflag === '2'
            ? 'symlink'
            : 'other';
    const entry: TarEntry = { path, type, size, mtime };
    if (type === 'file' && size <= maxEntryBytes) {
      const body = await reader.read(padded);
      if (body.length < padded) throw truncated(file, headerOffset);
      entry.content = body.subarray(0, size);
    } else if ((await reader.skip(padded)) < padded) {
      throw truncated(file, headerOffset);
    }
    yield entry;
  }
}

function truncated(file: string, offset: number) {
  return pwError('PW_ERR_PARSE', `${file}: tar archive ends inside the entry at byte ${offset}`, {
    file,
    offset,
  });
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

function ustarPath(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const isUstar = header.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function numeric(field: Buffer, file: string, offset: number): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(value))
      throw pwError('PW_ERR_PARSE', `${file}: bad tar number`, { file, offset });
    return value;
  }
  const text = cString(field).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw pwError('PW_ERR_PARSE', `${file}: invalid tar header at byte ${offset}`, { file, offset });
  }
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = cString(header.subarray(148, 156)).trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return sum === parseInt(stored, 8);
}

/** pax records are `<length> <key>=<value>\n`. */
function paxRecord(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (match && match[1] === key) return match[2];
  }
  return undefined;
}
