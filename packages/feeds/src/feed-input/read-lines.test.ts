import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openInput } from './open-input.ts';
import { readLines } from './read-lines.ts';
import { tempDir } from './test-support.ts';

async function lines(stream: Readable): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLines(stream, 'x.jsonl')) out.push(line);
  return out;
}

describe('readLines', () => {
  it('splits LF and CRLF and keeps a last line without newline', async () => {
    expect(await lines(Readable.from([Buffer.from('a\r\nb\n\nc')]))).toEqual(['a', 'b', '', 'c']);
  });

  it('decodes UTF-8 characters split across chunks', async () => {
    const bytes = Buffer.from('ünïcødé\n€\n');
    const parts = [...bytes].map((b) => Buffer.from([b]));
    expect(await lines(Readable.from(parts))).toEqual(['ünïcødé', '€']);
  });

  it('surfaces a truncated gzip stream as a PatchwardenError naming the file', async () => {
    const tmp = tempDir('lines');
    try {
      const gz = gzipSync(Buffer.from('{"id":"A"}\n'.repeat(5000)));
      const path = tmp.file('cut.jsonl.gz', gz.subarray(0, gz.length - 20));
      const input = await openInput(path);
      expect(input.gzipped).toBe(true);
      await expect(lines(input.stream)).rejects.toMatchObject({
        code: 'PW_ERR_PARSE',
        details: { file: 'x.jsonl' },
      });
    } finally {
      tmp.cleanup();
    }
  });
});
