import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import type { FeedRecord, ReadOptions } from '../feed-record.ts';
import { inputError } from '../feed-input/input-error.ts';
import { issue } from '../feed-input/issue.ts';
import { fileStat, openInput } from '../feed-input/open-input.ts';
import { readHead } from '../feed-input/read-head.ts';
import { readLines } from '../feed-input/read-lines.ts';
import { readSmallFile } from '../feed-input/read-small-file.ts';
import type { SmallFile } from '../feed-input/read-small-file.ts';
import { readText, stripBom } from '../feed-input/read-text.ts';
import { walkFiles } from '../feed-input/walk-files.ts';
import { zipEntries } from '../feed-input/zip-entries.ts';

/** One JSON value that should be an OSV record, and where it was found. */
export interface RawOsvRecord {
  kind: 'raw';
  value: unknown;
  /** The file, or `archive.zip!/entry.json` for a zip entry. */
  file: string;
  line?: number;
}

export type OsvSourceItem = RawOsvRecord | FeedRecord;

/** A single OSV record is a few KB (the largest real ones ~1 MB); beyond this a file is not one. */
const MAX_DOCUMENT_BYTES = 128 * 1024 * 1024;

type Progress = ReadOptions['onProgress'];

/**
 * The raw records of an OSV input in any of the shapes OSV data is published in: a directory
 * tree of `.json` files, osv.dev's per-ecosystem `all.zip`, JSONL (optionally gzipped), or one
 * `.json` file holding a record or an array of records.
 */
export async function* osvSources(path: string, onProgress?: Progress): AsyncGenerator<OsvSourceItem> {
  const info = await fileStat(path);
  if (info.isDirectory) {
    yield* fromDirectory(path, onProgress);
    return;
  }
  const name = basename(path).toLowerCase();
  const head = await readHead(path, 4096);
  if (name.endsWith('.zip') || head.startsWith('PK\u0003\u0004')) {
    yield* fromZip(path, info.size, onProgress);
  } else if (/\.(jsonl|ndjson)(\.gz)?$/.test(name)) {
    yield* fromJsonLines(path, onProgress);
  } else if (stripBom(head).trimStart().startsWith('[')) {
    yield* fromJsonArray(path, onProgress);
  } else if (info.size > MAX_DOCUMENT_BYTES) {
    yield* fromJsonLines(path, onProgress);
  } else {
    const input = await openInput(path, { onBytes: (read) => onProgress?.(read, info.size) });
    yield* fromDocument(await readText(input.stream, path, MAX_DOCUMENT_BYTES), path);
  }
}

async function* fromJsonLines(path: string, onProgress: Progress): AsyncGenerator<OsvSourceItem> {
  const input = await openInput(path, { onBytes: (read) => onProgress?.(read, input.size) });
  let line = 0;
  for await (const text of readLines(input.stream, path)) {
    line++;
    if (text.trim() === '') continue;
    yield parsed(text, path, line);
  }
}

/** A record per line, parsed on its own so that one bad line costs one record. */
function parsed(text: string, file: string, line: number | undefined): OsvSourceItem {
  try {
    const value: unknown = JSON.parse(line === 1 || line === undefined ? stripBom(text) : text);
    return line === undefined ? { kind: 'raw', value, file } : { kind: 'raw', value, file, line };
  } catch (thrown) {
    const message = `invalid JSON: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
    return issue(file, message, line === undefined ? {} : { line });
  }
}

/**
 * A `.json` file or zip entry: one record, or an array of them. A file that is not one JSON value
 * but whose lines are is JSONL with the wrong name, which mirrors do produce.
 */
function* fromDocument(text: string, file: string): Generator<OsvSourceItem> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    const lines = text.split('\n');
    const firstLine = parsed(lines[0] ?? '', file, 1);
    if (lines.length > 1 && firstLine.kind === 'raw') {
      for (let i = 0; i < lines.length; i++) {
        if (lines[i]!.trim() !== '') yield parsed(lines[i]!.replace(/\r$/, ''), file, i + 1);
      }
      return;
    }
    yield issue(file, `invalid JSON: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    return;
  }
  if (Array.isArray(value)) for (const item of value) yield { kind: 'raw', value: item, file };
  else yield { kind: 'raw', value, file };
}

/** Streams the elements of a top-level array, so a large dump is never parsed as one value. */
async function* fromJsonArray(path: string, onProgress: Progress): AsyncGenerator<OsvSourceItem> {
  const input = await openInput(path, { onBytes: (read) => onProgress?.(read, input.size) });
  const elements = pipeline(input.stream, StreamArray.withParser(), () => {});
  try {
    for await (const element of elements as AsyncIterable<{ key: number; value: unknown }>) {
      yield { kind: 'raw', value: element.value, file: path };
    }
  } catch (thrown) {
    throw inputError(thrown, path);
  } finally {
    elements.destroy();
  }
}

async function* fromDirectory(root: string, onProgress: Progress): AsyncGenerator<OsvSourceItem> {
  let bytes = 0;
  for await (const file of walkFiles(root, (name) => /\.json$/i.test(name))) {
    let small: SmallFile;
    try {
      small = await readSmallFile(file, MAX_DOCUMENT_BYTES);
    } catch (thrown) {
      yield issue(file, inputError(thrown, file).message);
      continue;
    }
    bytes += small.size;
    yield* fromDocument(small.text, file);
    onProgress?.(bytes, undefined);
  }
}

async function* fromZip(path: string, size: number, onProgress: Progress): AsyncGenerator<OsvSourceItem> {
  let bytes = 0;
  for await (const entry of zipEntries(path, { accept: (name) => /\.json$/i.test(name) })) {
    const file = `${path}!/${entry.name}`;
    bytes += entry.compressedSize;
    if (entry.error !== undefined) yield issue(file, `unreadable zip entry: ${entry.error}`);
    else if (entry.content === undefined)
      yield issue(file, `zip entry of ${entry.uncompressedSize} bytes is too large`);
    else yield* fromDocument(stripBom(entry.content.toString('utf8')), file);
    onProgress?.(Math.min(bytes, size), size);
  }
}
