import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

/**
 * A `text[]` value bound as one JSON text parameter: pg and PGlite serialise JS arrays differently,
 * but text travels the same way through both (see jsonb-param.ts).
 */
export function textArrayParam(values: readonly string[]): RawBuilder<string[]> {
  return sql<
    string[]
  >`array(select jsonb_array_elements_text(cast(${JSON.stringify(values)} as text)::jsonb))`;
}
