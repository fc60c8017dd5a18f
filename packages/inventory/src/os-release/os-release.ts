import type { InventoryFragment, OsRelease } from '@patchwarden/core';
import { splitLines, stripBom } from '../internal/records.ts';

/**
 * `/etc/os-release` (or `/usr/lib/os-release`): shell-compatible `KEY=value` lines, values
 * optionally quoted, as specified by os-release(5). Only assignments are understood; no variable
 * expansion or command substitution is ever performed.
 */
export function parseOsRelease(text: string, file: string): InventoryFragment {
  const warnings: string[] = [];
  const values = new Map<string, string>();
  const lines = splitLines(stripBom(text));
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match || match[1] === undefined) {
      warnings.push(`line ${i + 1}: not a KEY=value assignment, ignored`);
      continue;
    }
    const { value, problem } = unquote(match[2] ?? '');
    if (problem) warnings.push(`line ${i + 1}: ${match[1]}: ${problem}`);
    values.set(match[1], value);
  }
  const id = values.get('ID')?.trim().toLowerCase();
  // os-release(5): "If not set, a default of ID=linux may be used."
  if (!id) warnings.push('no ID= line; assuming ID=linux');
  const os: OsRelease = {
    id: id || 'linux',
    idLike: (values.get('ID_LIKE') ?? '')
      .toLowerCase()
      .split(/\s+/)
      .filter((v) => v !== ''),
  };
  const versionId = values.get('VERSION_ID')?.trim();
  if (versionId) os.versionId = versionId;
  const codename = values.get('VERSION_CODENAME')?.trim();
  if (codename) os.versionCodename = codename.toLowerCase();
  const name = values.get('NAME');
  if (name) os.name = name;
  const prettyName = values.get('PRETTY_NAME');
  if (prettyName) os.prettyName = prettyName;
  return { format: 'os-release', file, os, packages: [], warnings };
}

/** Shell word rules: "double" (with \" \\ \$ \` escapes), 'single' (literal), bare (\x escapes). */
function unquote(raw: string): { value: string; problem?: string } {
  let value = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i] ?? '';
    if (c === '"' || c === "'") {
      const close = findClose(raw, i + 1, c);
      if (close === -1) {
        value += unescapeDouble(raw.slice(i + 1), c);
        return { value, problem: `unterminated ${c === '"' ? 'double' : 'single'} quote` };
      }
      value += unescapeDouble(raw.slice(i + 1, close), c);
      i = close + 1;
    } else if (c === '\\' && i + 1 < raw.length) {
      value += raw[i + 1];
      i += 2;
    } else if (c === '#' && (i === 0 || /\s/.test(raw[i - 1] ?? ''))) {
      break;
    } else {
      value += c;
      i++;
    }
  }
  return { value };
}

function findClose(raw: string, from: number, quote: string): number {
  for (let i = from; i < raw.length; i++) {
    if (quote === '"' && raw[i] === '\\') i++;
    else if (raw[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(body: string, quote: string): string {
  return quote === "'" ? body : body.replace(/\\([$"\\`])/g, '$1');
}
