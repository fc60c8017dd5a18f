import { LineIndex } from './line-index.ts';

/**
 * Line of the first `"<key>": "<value>"` for each value, e.g. each component's `"bom-ref"` or
 * each SPDX package's `"SPDXID"`: ids that are unique per record, found with one regex pass.
 */
export function jsonValueLines(text: string, key: string): Map<string, number> {
  const lines = new LineIndex(text);
  const byValue = new Map<string, number>();
  const pattern = new RegExp(`${JSON.stringify(key)}\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`, 'g');
  for (const match of text.matchAll(pattern)) {
    let value: string;
    try {
      value = JSON.parse(`"${match[1] ?? ''}"`) as string;
    } catch {
      continue;
    }
    if (!byValue.has(value)) byValue.set(value, lines.lineAt(match.index));
  }
  return byValue;
}
