/**
 * Streams the elements of a JSON array, at the root or under a top-level key, one assembled value
 * at a time: NVD pages run to hundreds of megabytes and must never be parsed whole.
 */
import { pipeline, type Readable } from 'node:stream';
import streamJson from 'stream-json';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';

export interface JsonItem {
  index: number;
  value: unknown;
}

/** Yields nothing when `key` is absent; throws (a plain Error from the parser) on malformed JSON. */
export async function* jsonArrayItems(source: Readable, key?: string): AsyncGenerator<JsonItem> {
  const items = StreamArray.streamArray();
  // Packed tokens only: the assembler needs whole keys and strings, not their chunks.
  const parser = streamJson.parser({ streamValues: false });
  if (key === undefined) pipeline(source, parser, items, () => undefined);
  else pipeline(source, parser, Pick.pick({ filter: key }), items, () => undefined);
  try {
    for await (const { key: index, value } of items as AsyncIterable<{ key: number; value: unknown }>) {
      yield { index, value };
    }
  } finally {
    source.destroy();
    items.destroy();
  }
}

/** Reads a whole (small) JSON document, refusing anything above `maxBytes`. */
export async function readWholeJson(source: Readable, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += buffer.length;
      if (total > maxBytes) throw new Error(`document is larger than ${maxBytes} bytes`);
      chunks.push(buffer);
    }
  } finally {
    source.destroy();
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
