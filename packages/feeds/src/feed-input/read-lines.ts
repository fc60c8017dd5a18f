import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pwError } from '@patchwarden/core';
import { inputError } from './input-error.ts';

/** Longer lines are not records of any feed we read; refusing them bounds memory on hostile input. */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * Splits a byte stream into lines (LF or CRLF), decoding UTF-8 across chunk boundaries.
 * Hand-rolled rather than `readline` so that a stream error (truncated gzip, I/O) reaches the
 * caller as a thrown error instead of ending the iteration quietly.
 */
export async function* readLines(stream: Readable, file: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending += decoder.write(chunk);
      let start = 0;
      let newline = pending.indexOf('\n', start);
      while (newline >= 0) {
        yield stripCr(pending.slice(start, newline));
        start = newline + 1;
        newline = pending.indexOf('\n', start);
      }
      pending = pending.slice(start);
      if (pending.length > MAX_LINE_CHARS) {
        throw pwError('PW_ERR_PARSE', `${file}: a line is longer than ${MAX_LINE_CHARS} characters`, {
          file,
        });
      }
    }
  } catch (thrown) {
    throw inputError(thrown, file);
  } finally {
    stream.destroy();
  }
  pending += decoder.end();
  if (pending !== '') yield stripCr(pending);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
