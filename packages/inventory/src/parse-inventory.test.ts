import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchwardenError } from '@patchwarden/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../test-support/shared-data.ts';
import { parseInventoryFile, parseInventoryText } from './parse-inventory.ts';

async function rejection(promise: Promise<unknown>): Promise<PatchwardenError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PatchwardenError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseInventoryFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pw-inventory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['inventory/dpkg/trivy-ubuntu1804-status', 'dpkg-status', 90],
    ['inventory/apk/osv-scalibr-installed', 'apk-installed', 15],
    ['inventory/trivy-integration/lockfiles/npm/package-lock.json', 'npm-package-lock', 13],
    ['inventory/trivy-integration/lockfiles/yarn/yarn.lock', 'yarn-lock', 3],
    ['inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml', 'pnpm-lock', 2],
    ['inventory/cyclonedx/defectdojo__cyclonedx_bom.xml', 'cyclonedx-xml', 73],
    ['inventory/sbom/trivy__happy-bom.spdx.json', 'spdx-json', 6],
  ])('%s -> %s with %i packages', async (relative, format, count) => {
    const path = fixturePath(relative);
    const fragment = await parseInventoryFile(path);
    expect(fragment.format).toBe(format);
    expect(fragment.file).toBe(path);
    expect(fragment.packages).toHaveLength(count);
  });

  it('names the file when its format is unknown', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'Shopping list:\n- milk\n');
    const error = await rejection(parseInventoryFile(path));
    expect(error.code).toBe('PW_ERR_UNKNOWN_FORMAT');
    expect(error.details).toEqual({ file: path });
    expect(error.message).toContain(path);
  });

  it('reports a missing file as PW_ERR_FILE_NOT_FOUND and binary garbage as unknown', async () => {
    expect((await rejection(parseInventoryFile(join(dir, 'absent')))).code).toBe('PW_ERR_FILE_NOT_FOUND');
    const binary = join(dir, 'blob.bin');
    writeFileSync(binary, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x01, 0x02]));
    expect((await rejection(parseInventoryFile(binary))).code).toBe('PW_ERR_UNKNOWN_FORMAT');
  });

  it('reports malformed JSON of a recognised format as PW_ERR_PARSE with file and line', async () => {
    const path = join(dir, 'package-lock.json');
    writeFileSync(
      path,
      '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": { "version": "1.0.0" },,\n  }\n}\n',
    );
    const error = await rejection(parseInventoryFile(path));
    expect(error.code).toBe('PW_ERR_PARSE');
    expect(error.details).toMatchObject({ file: path, line: 4 });
    expect(error.location()).toBe(`${path}:4`);
  });
});

describe('parseInventoryText', () => {
  it('dispatches text it is handed, with the name it is given', () => {
    const fragment = parseInventoryText('ID=alpine\nVERSION_ID=3.19.1\n', 'etc/os-release');
    expect(fragment).toEqual({
      format: 'os-release',
      file: 'etc/os-release',
      os: { id: 'alpine', versionId: '3.19.1', idLike: [] },
      packages: [],
      warnings: [],
    });
  });
});
