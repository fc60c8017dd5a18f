import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

/**
 * A value bound as JSON text and cast to jsonb in SQL. The two drivers serialise parameters
 * differently (pg turns a JS array into a Postgres array literal, PGlite serialises by the type
 * the server infers), but a text parameter travels the same way through both. One JSON parameter
 * also carries a whole batch of rows, so bulk statements stay set-based with a single bind.
 */
export function jsonbParam<T = unknown>(value: unknown): RawBuilder<T> {
  return jsonbText<T>(JSON.stringify(value));
}

/** As `jsonbParam`, for JSON text the caller has already serialised. */
export function jsonbText<T = unknown>(json: string): RawBuilder<T> {
  return sql<T>`cast(${json} as text)::jsonb`;
}
