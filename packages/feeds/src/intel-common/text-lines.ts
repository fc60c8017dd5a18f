/** Splits a byte stream into numbered UTF-8 lines without holding more than one line. */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { pwError } from '@patchwarden/core';

export interface NumberedLine {
  text: string;
  /** 1-based. */
  number: number;
}

/** A line longer than this is not a feed row but a sign of a wrong or corrupt file. */
export const MAX_LINE_LENGTH = 1 << 20;

export async function* textLines(stream: Readable, file: string): AsyncGenerator<NumberedLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      number += 1;
      yield { text: stripCr(pending.slice(0, newline)), number };
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE_LENGTH) {
      throw pwError('PW_ERR_PARSE', `Line ${number + 1} is longer than ${MAX_LINE_LENGTH} bytes`, {
        file,
        line: number + 1,
      });
    }
  }
  pending += decoder.end();
  if (pending !== '') yield { text: stripCr(pending), number: number + 1 };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
