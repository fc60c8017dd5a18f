/** A JSON value as it survives a round trip through jsonb. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** jsonb refuses NUL characters and lone surrogates; both become U+FFFD so the entry is kept. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(LONE_SURROGATE, '\ufffd');
}

function storable(value: unknown): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  // fromEntries defines own properties, so a "__proto__" key stays data, never a prototype.
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, member]) => [
      storableText(key),
      storable(member),
    ]),
  );
}

/**
 * `value` as the JSON jsonb will give back: what JSON.stringify keeps (Dates as text, undefined
 * members dropped, NaN as null), with unstorable characters replaced. Hashing this form, not the
 * caller's object, is what lets a stored entry be re-hashed to the same value later.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : storable(JSON.parse(text));
}

/**
 * Canonical JSON text: object keys sorted by UTF-16 code units at every level, no whitespace,
 * numbers and strings as JSON.stringify writes them (the RFC 8785 rules for the values we store).
 * jsonb reorders keys and drops duplicates, so a hash over stored JSON needs a canonical form.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}
