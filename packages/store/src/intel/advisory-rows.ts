import type { Advisory } from '@patchwarden/core';
import { allIds, matchEcosystem, normalizePackageName, pwError } from '@patchwarden/core';

/**
 * The key rows an advisory is found by: one per distinct (ecosystem, normalised package name),
 * so that an installed `Django` finds an advisory written for `django`.
 */
export function packageKeys(advisory: Advisory): [ecosystem: string, name: string][] {
  const seen = new Set<string>();
  const keys: [string, string][] = [];
  for (const affected of advisory.affected) {
    // Keyed by the ecosystem hosts are matched under (Red Hat's `::repository` suffix dropped).
    const ecosystem = matchEcosystem(affected.ecosystem);
    const name = normalizePackageName(affected.ecosystem, affected.name);
    const key = `${ecosystem}\u0000${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    keys.push([ecosystem, name]);
  }
  return keys;
}

/** Every id the advisory is known by, its own first, without repeats. */
export function aliasKeys(advisory: Advisory): string[] {
  return [...new Set(allIds(advisory))];
}

export function advisoryKey(advisory: Pick<Advisory, 'source' | 'id'>): string {
  return `${advisory.source}\u0000${advisory.id}`;
}

const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** `\u0000` as JSON.stringify writes a NUL, not an escaped backslash followed by `u0000`. */
const ESCAPED_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * Refuses, naming the record and field, what Postgres would refuse for the whole batch:
 * an unreadable `modified` (it orders updates) and U+0000, which neither text nor jsonb can hold.
 * Returns the advisory as JSON text, which is what gets sent.
 */
export function storableJson(advisory: Advisory): string {
  const record = `${advisory.source}:${advisory.id}`;
  for (const field of ['modified', 'published', 'withdrawn'] as const) {
    const value = advisory[field];
    if (value === undefined) continue;
    const millis = Date.parse(value);
    // Postgres has no year 0; OSV's zero time (Go writes 0001-01-01) is the earliest it accepts.
    if (Number.isNaN(millis) || millis < EARLIEST || millis > LATEST) {
      throw pwError(
        'PW_ERR_INVALID_RECORD',
        `${record}: \`${field}\` is not a storable timestamp: ${value}`,
        {
          record,
          field,
        },
      );
    }
  }
  const json = JSON.stringify(advisory);
  if (ESCAPED_NUL.test(json)) {
    throw pwError(
      'PW_ERR_INVALID_RECORD',
      `${record}: contains a NUL character (U+0000), which cannot be stored`,
      {
        record,
      },
    );
  }
  return json;
}
