import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import type { AssetFilter, AssetFilterContext, AssetFilterTerm, TextField } from '@patchwarden/core';
import { asciiLower, ipv4Octets } from '@patchwarden/core';

/**
 * The asset filter language (core `asset-filter.ts`) as a SQL condition over `assets a`. Every
 * term has an exact translation, so lists page in SQL; the repository still re-checks each row
 * with the core's `matchesAsset`, so a disagreement could only drop a row, never add one.
 *
 * Text compares as the core does: `lower(x collate "C")` folds ASCII letters only, and `like` under
 * `collate "C"` compares bytes, on PGlite and on a server of any locale alike. A positive term is
 * false for an absent value (`coalesce(..., false)`), so its negation is true there.
 */

const SCALAR: Partial<Record<TextField, RawBuilder<unknown>>> = {
  name: sql`a.name`,
  hostname: sql`a.hostname`,
  fqdn: sql`a.fqdn`,
  env: sql`a.environment`,
  exposure: sql`a.exposure`,
  sensitivity: sql`a.data_sensitivity`,
  kind: sql`a.kind`,
  team: sql`a.owner_team`,
  location: sql`a.location`,
  tz: sql`a.time_zone`,
};

const LIST: Partial<Record<TextField, RawBuilder<unknown>>> = {
  ip: sql`a.ips`,
  mac: sql`a.macs`,
  tag: sql`a.tags`,
  service: sql`a.services`,
  class: sql`a.asset_classes`,
};

const OS_KEY = sql`(case when a.os_version_id is null then a.os_id else a.os_id || '-' || a.os_version_id end)`;

/** `*` pattern -> LIKE pattern over ASCII-lowered text (backslash escapes `%`, `_` and itself). */
export function likePattern(pattern: string): string {
  return asciiLower(pattern)
    .replace(/[\\%_]/g, '\\$&')
    .replaceAll('*', '%');
}

function folded(expression: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`lower(${expression} collate "C")`;
}

function matchOne(field: TextField, value: RawBuilder<unknown>, pattern: string): RawBuilder<boolean> {
  if (field === 'ip' && pattern.includes('/')) {
    const [base, bits] = pattern.split('/') as [string, string];
    const octets = ipv4Octets(base)!;
    const start = ((octets[0] * 256 + octets[1]) * 256 + octets[2]) * 256 + octets[3];
    const size = 2 ** (32 - Number(bits));
    const low = Math.floor(start / size) * size;
    // Only dotted quads the core accepts (no leading zeros, octets <= 255) are converted.
    return sql<boolean>`(case when ${value} ~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'
      then ((split_part(${value}, '.', 1)::bigint * 256 + split_part(${value}, '.', 2)::bigint) * 256
            + split_part(${value}, '.', 3)::bigint) * 256 + split_part(${value}, '.', 4)::bigint
           between ${low} and ${low + size - 1}
      else false end)`;
  }
  const lowered = folded(value);
  if (field === 'os' && !pattern.includes('*')) {
    const like = likePattern(pattern);
    return sql<boolean>`(${lowered} = ${asciiLower(pattern)} or ${lowered} like ${`${like}-%`} or ${lowered} like ${`${like}.%`})`;
  }
  return sql<boolean>`${lowered} like ${likePattern(pattern)}`;
}

function anyOf(
  field: TextField,
  value: RawBuilder<unknown>,
  patterns: readonly string[],
): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(
    patterns.map((p) => matchOne(field, value, p)),
    sql` or `,
  )})`;
}

function positive(term: AssetFilterTerm, context: AssetFilterContext): RawBuilder<boolean> {
  switch (term.type) {
    case 'text': {
      const scalar = SCALAR[term.field];
      if (scalar) return sql<boolean>`coalesce(${anyOf(term.field, scalar, term.values)}, false)`;
      if (term.field === 'os') return sql<boolean>`coalesce(${anyOf('os', OS_KEY, term.values)}, false)`;
      if (term.field === 'source') {
        return sql<boolean>`exists (select 1 from asset_sources s
          where s.asset_id = a.id and ${anyOf('source', sql`s.source`, term.values)})`;
      }
      const list = LIST[term.field]!;
      return sql<boolean>`exists (select 1 from jsonb_array_elements_text(${list}) as v(value)
        where ${anyOf(term.field, sql`v.value`, term.values)})`;
    }
    case 'impact': {
      const [bound] = term.values;
      const test =
        term.op === ':'
          ? sql`a.business_impact in (${sql.join(term.values.map((v) => sql.lit(v)))})`
          : sql`a.business_impact ${sql.raw(term.op)} ${sql.lit(bound!)}`;
      return sql<boolean>`coalesce(${test}, false)`;
    }
    case 'flag': {
      let flag: RawBuilder<boolean>;
      switch (term.field) {
        case 'stale': {
          const cutoff = new Date(
            Date.parse(context.now) - context.staleAfterDays * 86_400_000,
          ).toISOString();
          flag = sql<boolean>`coalesce(a.inventory_at < ${cutoff}::timestamptz, false)`;
          break;
        }
        case 'unknown':
          flag = sql<boolean>`(a.inventory_at is null)`;
          break;
        case 'hidden':
          flag = sql<boolean>`(not exists (select 1 from asset_sources s where s.asset_id = a.id and s.source = 'agent')
            and exists (select 1 from asset_sources s where s.asset_id = a.id and s.source in ('scanner', 'csv', 'json')))`;
          break;
        case 'reboot':
          flag = sql<boolean>`coalesce(a.reboot_required, false)`;
          break;
      }
      return term.value ? flag : sql<boolean>`(not ${flag})`;
    }
  }
}

/** The filter as one boolean SQL expression over `assets a` (`true` for the empty filter). */
export function assetFilterWhere(filter: AssetFilter, context: AssetFilterContext): RawBuilder<boolean> {
  if (filter.terms.length === 0) return sql<boolean>`true`;
  return sql<boolean>`(${sql.join(
    filter.terms.map((term) =>
      term.negated ? sql`(not ${positive(term, context)})` : positive(term, context),
    ),
    sql` and `,
  )})`;
}
