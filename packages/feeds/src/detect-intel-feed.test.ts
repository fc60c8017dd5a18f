import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PatchwardenError } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { FIXTURES, sharedDataPath } from '../../../test-support/shared-data.ts';
import { INTEL_READERS } from './detect-intel-feed.ts';
import { readHead } from './intel-common/open-input.ts';

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.endsWith('.md'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The feed each file is, by the folder it sits in; every other folder holds no intel feed. */
function expectedFeed(path: string): string | undefined {
  const [folder] = path.split('/');
  if (path === 'kev/known_exploited_vulnerabilities_schema.json') return undefined;
  return ['nvd', 'cve5', 'kev', 'epss', 'cwe'].includes(folder ?? '') ? folder : undefined;
}

async function claims(
  root: string,
): Promise<{ path: string; expected: string | undefined; claimed: string[] }[]> {
  const result = [];
  for (const file of await filesUnder(root)) {
    const head = await readHead(file);
    const path = relative(root, file);
    result.push({
      path,
      expected: expectedFeed(path),
      claimed: INTEL_READERS.filter((r) => r.sniff(file, head)).map((r) => r.feed),
    });
  }
  return result;
}

describe('INTEL_READERS', () => {
  it('lists the five intel readers, each for its own feed', () => {
    expect(INTEL_READERS.map((r) => r.feed)).toEqual(['nvd', 'cve5', 'kev', 'epss', 'cwe']);
  });

  it('claims each committed intel fixture by exactly its own reader', async () => {
    const results = (await claims(FIXTURES)).filter((r) => r.expected !== undefined);
    expect(results.length).toBeGreaterThanOrEqual(20);
    for (const { path, expected, claimed } of results) expect(claimed, path).toEqual([expected]);
  });

  it('every reader refuses a missing path with PW_ERR_FILE_NOT_FOUND, and a directory only with a PatchwardenError', async () => {
    for (const reader of INTEL_READERS) {
      const drain = async (path: string) => {
        for await (const record of reader.read(path)) void record;
      };
      await expect(drain(join(FIXTURES, 'no-such-file.json')), reader.feed).rejects.toMatchObject({
        code: 'PW_ERR_FILE_NOT_FOUND',
      });
      // nvd, cve5 and cwe read directory trees; kev and epss are single files.
      await drain(join(FIXTURES, 'epss')).catch((error: unknown) =>
        expect(error).toBeInstanceOf(PatchwardenError),
      );
    }
  });

  const shared = sharedDataPath('.');
  it.skipIf(!shared)(
    'claims every intel file in ../shared/data by its own reader, and no other file',
    async () => {
      const results = await claims(shared as string);
      const wrong = results.filter((r) => r.claimed.join() !== (r.expected ?? ''));
      const intel = results.filter((r) => r.expected !== undefined).length;
      console.log(
        `[detect] ${results.length} files sniffed: ${intel} intel files claimed by their reader, ${results.length - intel - wrong.length} others left alone, ${wrong.length} wrong`,
      );
      expect(wrong).toEqual([]);
    },
  );
});
