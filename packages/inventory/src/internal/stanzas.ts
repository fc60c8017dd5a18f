import { splitLines } from './records.ts';

/** One blank-line separated block of `Key: value` lines (dpkg status, apk installed). */
export interface Stanza {
  /** 1-based line of the block's first line. */
  line: number;
  fields: Map<string, string>;
  /** Lines that are neither `Key: value`, nor a continuation of one. */
  strayLines: number[];
}

/**
 * Splits RFC 822-style text into stanzas. `keyPattern` captures the key and the value of a field
 * line; a line starting with a space or tab continues the previous field, as in dpkg's multi-line
 * Description and Conffiles. Only the first occurrence of a key is kept: apk repeats file keys
 * (`F:`, `R:`, `Z:`) that no caller reads.
 */
export function parseStanzas(text: string, keyPattern: RegExp): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza | undefined;
  let lastKey: string | undefined;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') {
      current = undefined;
      lastKey = undefined;
      continue;
    }
    if (!current) {
      current = { line: i + 1, fields: new Map(), strayLines: [] };
      stanzas.push(current);
    }
    if (raw.startsWith(' ') || raw.startsWith('\t')) {
      if (lastKey !== undefined) {
        const previous = current.fields.get(lastKey);
        if (previous !== undefined) current.fields.set(lastKey, `${previous}\n${raw.trim()}`);
      } else current.strayLines.push(i + 1);
      continue;
    }
    const match = keyPattern.exec(raw);
    if (!match || match[1] === undefined) {
      current.strayLines.push(i + 1);
      lastKey = undefined;
      continue;
    }
    const key = match[1];
    lastKey = current.fields.has(key) ? undefined : key;
    if (lastKey !== undefined) current.fields.set(key, (match[2] ?? '').trim());
  }
  return stanzas;
}
