import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { jsonObjectMembers } from './json-object-members.ts';
import type { JsonMember } from './json-object-members.ts';

async function members(text: string | Buffer, chunk = 3): Promise<JsonMember[]> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  const out: JsonMember[] = [];
  for await (const member of jsonObjectMembers(Readable.from(parts), 'x.json')) out.push(member);
  return out;
}

describe('jsonObjectMembers', () => {
  it('yields each member of the top-level object, whatever the chunking', async () => {
    const text = '\uFEFF { "a": {"k": [1, {"}": "]"}]}, "b\\"q": "x,y\\\\", "ü": null } \n';
    for (const chunk of [1, 2, 7, 1000]) {
      expect((await members(text, chunk)).map((m) => (m.ok ? [m.key, m.value] : m.error))).toEqual([
        ['a', { k: [1, { '}': ']' }] }],
        ['b"q', 'x,y\\'],
        ['ü', null],
      ]);
    }
  });

  it('agrees with JSON.parse on any object', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.integer({ min: 1, max: 64 }),
        async (object, chunk) => {
          const found = await members(JSON.stringify(object, null, chunk % 3), chunk);
          const parsed = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
          expect(Object.fromEntries(found.map((m) => (m.ok ? [m.key, m.value] : ['!', m.error])))).toEqual(
            parsed,
          );
        },
      ),
    );
  });

  it('reports a member that does not parse and goes on with the next', async () => {
    const found = await members('{"good": 1, "bad": tru, "next": [2]}');
    expect(found).toEqual([
      { ok: true, key: 'good', value: 1, offset: 1 },
      { ok: false, key: 'bad', offset: 11, error: expect.stringMatching(/^invalid JSON member/) },
      { ok: true, key: 'next', value: [2], offset: 23 },
    ]);
  });

  it.each([
    ['[1, 2]', /expected a JSON object at byte 0/],
    ['{"a": {"b": 1}', /the object is cut off at byte 14/],
    ['{"a": 1]', /unbalanced brackets at byte 7/],
    ['{"a": 1} x', /unexpected data after the end of the object at byte 9/],
    ['', /expected a JSON object at byte 0/],
  ])('throws PW_ERR_PARSE naming the file and offset for %j', async (text, message) => {
    const error = await members(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).details.file).toBe('x.json');
    expect((error as PatchwardenError).message).toMatch(message);
  });
});
