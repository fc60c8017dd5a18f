import { readFile } from 'node:fs/promises';
import type { InventoryFragment } from '@patchwarden/core';
import { asPatchwardenError } from '@patchwarden/core';
import type { InventoryParser } from '@patchwarden/inventory';
import { parseApkInstalled, parseDpkgStatus, parseRpmQa } from '@patchwarden/inventory';
import type { CollectOptions } from './collect-options.ts';
import { runCommand } from './run-command.ts';

/**
 * The query format @patchwarden/inventory's rpm parser reads (epoch, source RPM). The backslash
 * escapes are rpm's own (queryformat expands `\t` and `\n`), exactly as typed in a shell.
 */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';

export interface PackagesResult {
  fragments: InventoryFragment[];
  warnings: string[];
}

/**
 * The host's package databases: every one that is present is read, since a host can carry more
 * than one (Debian with `rpm` installed for tooling has an empty rpm database, which is skipped).
 */
export async function collectOsPackages(options: CollectOptions): Promise<PackagesResult> {
  const fragments: InventoryFragment[] = [];
  const warnings: string[] = [];
  const fromFile = async (path: string | undefined, parse: InventoryParser): Promise<void> => {
    if (path === undefined) return;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') warnings.push(`${path}: cannot be read (${String(code)})`);
      return;
    }
    try {
      fragments.push(parse(text, path));
    } catch (thrown) {
      warnings.push(`${path}: ${asPatchwardenError(thrown).message}`);
    }
  };
  await fromFile(options.dpkgStatusPath, parseDpkgStatus);
  await fromFile(options.apkInstalledPath, parseApkInstalled);
  const rpm = await collectRpm(options);
  if (rpm.fragment) fragments.push(rpm.fragment);
  warnings.push(...rpm.warnings);
  for (const fragment of fragments) warnings.push(...fragment.warnings.map((w) => `${fragment.file}: ${w}`));
  return { fragments, warnings };
}

async function collectRpm(
  options: CollectOptions,
): Promise<{ fragment: InventoryFragment | undefined; warnings: string[] }> {
  const command = options.rpmCommand;
  if (command === undefined) return { fragment: undefined, warnings: [] };
  const result = await runCommand([...command, '-qa', '--qf', RPM_QUERY_FORMAT], options.commandTimeoutMs);
  if (result === undefined) return { fragment: undefined, warnings: [] };
  const origin = `${command.join(' ')} -qa`;
  if (result.exitCode !== 0) {
    return {
      fragment: undefined,
      warnings: [`${origin}: exit status ${result.exitCode}: ${result.stderr.trim().slice(0, 200)}`],
    };
  }
  if (result.stdout.trim() === '') return { fragment: undefined, warnings: [] };
  try {
    return { fragment: parseRpmQa(result.stdout, origin), warnings: [] };
  } catch (thrown) {
    return { fragment: undefined, warnings: [`${origin}: ${asPatchwardenError(thrown).message}`] };
  }
}
