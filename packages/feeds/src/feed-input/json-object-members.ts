import type { Readable } from 'node:stream';
import { pwError } from '@patchwarden/core';
import { inputError } from './input-error.ts';

export type JsonMember =
  | { ok: true; key: string; value: unknown; offset: number }
  | { ok: false; error: string; offset: number; key?: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The members of a top-level JSON object, one at a time, for exports shaped like
 * `{ "<key>": <value>, ... }` that are too big to parse whole (the Debian tracker's ~80 MB).
 *
 * A byte scanner finds where each member ends (it tracks strings, escapes and nesting; `"` and
 * `\` never occur inside multi-byte UTF-8, so bytes suffice), and the member alone goes to the
 * native JSON.parse. That is several times faster than assembling values from a token stream,
 * memory follows the largest member, and a member that does not parse costs only itself: it is
 * returned as `ok: false` and the scan goes on. Damage to the object's structure (truncation,
 * unbalanced brackets, something other than an object) throws PW_ERR_PARSE with the byte offset.
 */
export async function* jsonObjectMembers(
  stream: Readable,
  file: string,
  maxMemberBytes = 256 * 1024 * 1024,
): AsyncGenerator<JsonMember> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let finished = false;
  let offset = 0;
  let memberStart = 0;
  let parts: Buffer[] = [];
  let partsLength = 0;
  const fail = (message: string, at: number): never => {
    throw pwError('PW_ERR_PARSE', `${file}: ${message} at byte ${at}`, { file, offset: at });
  };
  const member = (): JsonMember | undefined => {
    const text = Buffer.concat(parts).toString('utf8');
    parts = [];
    partsLength = 0;
    if (text.trim() === '') return undefined;
    try {
      const parsed = JSON.parse(`{${text}}`) as Record<string, unknown>;
      const keys = Object.keys(parsed);
      if (keys.length !== 1)
        return { ok: false, error: 'expected one "key": value member', offset: memberStart };
      return { ok: true, key: keys[0]!, value: parsed[keys[0]!], offset: memberStart };
    } catch (thrown) {
      const key = /^\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
      const error = `invalid JSON member: ${(thrown as Error).message}`;
      return key === undefined
        ? { ok: false, error, offset: memberStart }
        : { ok: false, error, offset: memberStart, key };
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
          continue;
        }
        if (!started) {
          if (byte === OPEN_BRACE) {
            started = true;
            depth = 1;
            from = i + 1;
            memberStart = offset + i + 1;
          } else if (
            !isSpace(byte) &&
            !(offset + i < 3 && (byte === 0xef || byte === 0xbb || byte === 0xbf))
          ) {
            fail('expected a JSON object', offset + i);
          }
          continue;
        }
        if (finished) {
          if (!isSpace(byte)) fail('unexpected data after the end of the object', offset + i);
          continue;
        }
        if (byte === QUOTE) inString = true;
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
        else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            if (byte !== CLOSE_BRACE) fail('unbalanced brackets', offset + i);
            parts.push(chunk.subarray(from, i));
            const last = member();
            if (last) yield last;
            finished = true;
          } else if (depth < 0) fail('unbalanced brackets', offset + i);
        } else if (byte === COMMA && depth === 1) {
          parts.push(chunk.subarray(from, i));
          const done = member();
          yield done ?? { ok: false, error: 'empty member', offset: memberStart };
          from = i + 1;
          memberStart = offset + i + 1;
        }
      }
      if (started && !finished && from < chunk.length) {
        parts.push(chunk.subarray(from));
        partsLength += chunk.length - from;
        if (partsLength > maxMemberBytes)
          fail(`a member is larger than ${maxMemberBytes} bytes`, memberStart);
      }
      offset += chunk.length;
    }
  } catch (thrown) {
    throw inputError(thrown, file);
  } finally {
    stream.destroy();
  }
  if (!started) fail('expected a JSON object', offset);
  if (!finished) fail('the object is cut off', offset);
}
