import { readFile } from 'node:fs/promises';
import { pwError } from '@patchwarden/core';
import type { InventoryFormat, InventoryFragment } from '@patchwarden/core';
import { parseApkInstalled } from './apk/apk-installed.ts';
import { DETECTION_HEAD_CHARS, detectInventoryFormat } from './detect-inventory.ts';
import { parseDpkgStatus } from './dpkg/dpkg-status.ts';
import { parsePackageLock } from './npm/package-lock.ts';
import { parseOsRelease } from './os-release/os-release.ts';
import { parsePnpmLock } from './pnpm/pnpm-lock.ts';
import { parseRpmQa } from './rpm/rpm-qa.ts';
import { parseCycloneDxJson, parseCycloneDxXml } from './sbom/cyclonedx.ts';
import { parseSpdxJson } from './sbom/spdx.ts';
import { parseVulsScan } from './vuls/vuls-scan.ts';
import { parseYarnLock } from './yarn/yarn-lock.ts';

export type InventoryParser = (text: string, file: string) => InventoryFragment;

export const INVENTORY_PARSERS: Readonly<Record<InventoryFormat, InventoryParser>> = {
  'dpkg-status': parseDpkgStatus,
  'rpm-qa': parseRpmQa,
  'apk-installed': parseApkInstalled,
  'os-release': parseOsRelease,
  'vuls-scan': parseVulsScan,
  'npm-package-lock': parsePackageLock,
  'yarn-lock': parseYarnLock,
  'pnpm-lock': parsePnpmLock,
  'cyclonedx-json': parseCycloneDxJson,
  'cyclonedx-xml': parseCycloneDxXml,
  'spdx-json': parseSpdxJson,
};

/** Detects the format of `text` (the content of `file`) and parses it. */
export function parseInventoryText(text: string, file: string): InventoryFragment {
  const format = detectInventoryFormat(file, text.slice(0, DETECTION_HEAD_CHARS));
  if (!format) {
    throw pwError(
      'PW_ERR_UNKNOWN_FORMAT',
      `${file}: not a recognised inventory (dpkg status, rpm -qa, apk installed, os-release, Vuls scan, ` +
        'package-lock.json, yarn.lock, pnpm-lock.yaml, CycloneDX or SPDX)',
      { file },
    );
  }
  return INVENTORY_PARSERS[format](text, file);
}

/** Reads `path` (UTF-8), detects its format and parses it. */
export async function parseInventoryFile(path: string): Promise<InventoryFragment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw pwError('PW_ERR_FILE_NOT_FOUND', `${path}: no such file`, { file: path }, cause);
    throw pwError(
      'PW_ERR_PARSE',
      `${path}: cannot be read (${String(code ?? cause)})`,
      { file: path },
      cause,
    );
  }
  return parseInventoryText(text, path);
}
