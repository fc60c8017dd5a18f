import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '@patchwarden/core';
import { tarEntries } from './tar-entries.ts';
import type { TarEntry } from './tar-entries.ts';
import { tarOf } from './test-support.ts';

/** Feeds the archive in awkward chunk sizes, as gunzip does, to exercise block reassembly. */
function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function entries(bytes: Buffer, chunk = 777, maxEntryBytes?: number): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const options = maxEntryBytes === undefined ? {} : { maxEntryBytes };
  for await (const entry of tarEntries(chunked(bytes, chunk), 'test.tar', options)) out.push(entry);
  return out;
}

describe('tarEntries', () => {
  const longName = `ubuntu-cve-tracker/${'deep/'.repeat(25)}CVE-2020-0001`;
  const archive = tarOf([
    { name: 'ubuntu-cve-tracker/', type: '5' },
    { name: 'ubuntu-cve-tracker/active/CVE-2020-0034', content: 'Candidate: CVE-2020-0034\n' },
    { name: 'ubuntu-cve-tracker/active/link', type: '2' },
    { name: longName, content: 'x'.repeat(1500) },
  ]);

  it('reads files, directories and links, with contents and pax long names', async () => {
    for (const chunk of [1, 511, 512, 777, 1 << 20]) {
      const found = await entries(archive, chunk);
      expect(found.map((e) => [e.path, e.type, e.size])).toEqual([
        ['ubuntu-cve-tracker/', 'directory', 0],
        ['ubuntu-cve-tracker/active/CVE-2020-0034', 'file', 25],
        ['ubuntu-cve-tracker/active/link', 'symlink', 0],
        [longName, 'file', 1500],
      ]);
      expect(found[1]!.content?.toString()).toBe('Candidate: CVE-2020-0034\n');
      expect(found[3]!.content?.length).toBe(1500);
      expect(found[1]!.mtime.toISOString()).toBe('2020-06-18T13:40:00.000Z');
    }
  });

  it('skips over files bigger than the limit without holding them', async () => {
    const found = await entries(archive, 4096, 1000);
    expect(found[3]!.content).toBeUndefined();
    expect(found[1]!.content).toBeDefined();
  });

  it('throws PW_ERR_PARSE naming the file for an archive cut inside an entry', async () => {
    const cut = archive.subarray(0, 512 * 4 + 100);
    await expect(entries(cut)).rejects.toMatchObject({ code: 'PW_ERR_PARSE', details: { file: 'test.tar' } });
  });

  it('throws on a header whose checksum is wrong', async () => {
    const broken = Buffer.from(archive);
    broken[512 + 10] = 0x41; // inside the second header's name
    const error = await entries(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).message).toMatch(/invalid tar header at byte 512/);
  });

  it('ends quietly at an archive without the closing zero blocks', async () => {
    const found = await entries(archive.subarray(0, archive.length - 1024));
    expect(found).toHaveLength(4);
  });
});
