import { createHash, randomBytes } from 'node:crypto';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { InventoryTextReader } from './inventory-text-body.ts';

const ENVELOPE = JSON.stringify({ agentId: 'a-1', note: 'Zürich ✓' });
// Multi-byte characters of 2, 3 and 4 bytes, so that chunk boundaries fall inside them.
const TEXT = [
  'patchwarden-inventory/1',
  '["debian","12",null,"Débian","Debian GNU/Linux 12",[]]',
  '["dpkg","os",null,"libc6","2.36-9"]',
  '["npm","language","npm","emoji-😀","1.0.0"]',
  '["npm","language","npm","日本語","2.0.0"]',
].join('\n');
const BODY = Buffer.from(`${ENVELOPE}\n${TEXT}`, 'utf8');
const TEXT_HASH = `sha256:${createHash('sha256').update(TEXT, 'utf8').digest('hex')}`;

function read(chunks: Buffer[], limit = 1 << 20) {
  const reader = new InventoryTextReader(limit);
  for (const chunk of chunks) reader.push(chunk);
  return reader.finish();
}

function split(body: Buffer, at: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const end of [...at, body.length]) {
    chunks.push(body.subarray(start, end));
    start = end;
  }
  return chunks;
}

describe('InventoryTextReader', () => {
  it('gives the envelope, the lines and the hash of the text whatever the chunk boundaries', () => {
    const whole = read([BODY]);
    expect(whole.envelope).toBe(ENVELOPE);
    expect(whole.text.lines).toEqual(TEXT.split('\n'));
    expect(whole.text.hash).toBe(TEXT_HASH);
    // Every single cut, including inside multi-byte characters and at the newlines.
    for (let cut = 0; cut <= BODY.length; cut++) {
      const result = read(split(BODY, [cut]));
      expect(result.envelope, `cut at ${cut}`).toBe(ENVELOPE);
      expect(result.text.lines, `cut at ${cut}`).toEqual(whole.text.lines);
      expect(result.text.hash, `cut at ${cut}`).toBe(TEXT_HASH);
    }
    // One byte per chunk.
    const bytes = [...BODY].map((_, i) => BODY.subarray(i, i + 1));
    expect(read(bytes).text.lines).toEqual(whole.text.lines);
    expect(read(bytes).text.hash).toBe(TEXT_HASH);
    // Handed over once: the body keeps none of them afterwards (see takeLines).
    const taken = read([BODY]).text;
    expect(taken.takeLines()).toEqual(TEXT.split('\n'));
    expect(taken.lines).toEqual([]);
    expect(taken.hash).toBe(TEXT_HASH);
  });

  it('keeps a trailing newline as an empty last line, for the text checks to report', () => {
    const result = read([Buffer.from(`${ENVELOPE}\n${TEXT}\n`)]);
    expect(result.text.lines.at(-1)).toBe('');
    expect(result.text.lines).toHaveLength(TEXT.split('\n').length + 1);
  });

  it('refuses a body without the envelope line, invalid UTF-8 naming its line, and bodies past the limit', () => {
    const codeOf = (fn: () => unknown): [string, unknown] => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(PatchwardenError);
        return [(error as PatchwardenError).code, (error as PatchwardenError).details['line']];
      }
      throw new Error('no error');
    };
    expect(codeOf(() => read([Buffer.from(ENVELOPE)]))).toEqual(['PW_ERR_PARSE', 1]);
    const badUtf8 = Buffer.concat([
      Buffer.from(`${ENVELOPE}\npatchwarden-inventory/1\n["x`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"]'),
    ]);
    expect(codeOf(() => read([badUtf8]))).toEqual(['PW_ERR_PARSE', 2]);
    // A bad line among whole lines of one chunk, and the same split across chunks.
    const badMiddle = Buffer.concat([
      Buffer.from(`${ENVELOPE}\npatchwarden-inventory/1\n["os"]\n["a`),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('"]\n["b"]\n["c"]'),
    ]);
    expect(codeOf(() => read([badMiddle]))).toEqual(['PW_ERR_PARSE', 3]);
    for (let cut = 1; cut < badMiddle.length; cut++) {
      expect(codeOf(() => read(split(badMiddle, [cut])))[1], `cut at ${cut}`).toBe(3);
    }
    const badEnvelope = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}\nx')]);
    expect(codeOf(() => read([badEnvelope]))).toEqual(['PW_ERR_PARSE', 1]);
    expect(codeOf(() => read(split(BODY, [10, 20]), BODY.length - 1))).toEqual([
      'PW_ERR_PAYLOAD_TOO_LARGE',
      undefined,
    ]);
    expect(read([BODY], BODY.length).text.hash).toBe(TEXT_HASH);
  });

  it('survives random bytes: either lines and a hash, or a PatchwardenError', () => {
    for (let round = 0; round < 500; round++) {
      const body = randomBytes(1 + (round % 300));
      if (round % 3 === 0) body[round % body.length] = 0x0a;
      const cuts = [Math.floor(body.length / 3), Math.floor((2 * body.length) / 3)];
      try {
        const result = read(split(body, cuts));
        expect(result.text.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(typeof result.envelope).toBe('string');
      } catch (error) {
        expect(error).toBeInstanceOf(PatchwardenError);
      }
    }
  });
});
