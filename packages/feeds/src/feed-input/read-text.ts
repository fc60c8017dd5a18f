import type { Readable } from 'node:stream';
import { pwError } from '@patchwarden/core';
import { inputError } from './input-error.ts';

/** A whole (small) document as text; refuses more than `maxBytes` rather than exhausting memory. */
export async function readText(stream: Readable, file: string, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) {
        throw pwError('PW_ERR_PARSE', `${file}: larger than ${maxBytes} bytes, too big for one document`, {
          file,
        });
      }
      chunks.push(chunk);
    }
  } catch (thrown) {
    throw inputError(thrown, file);
  } finally {
    stream.destroy();
  }
  return stripBom(Buffer.concat(chunks).toString('utf8'));
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
