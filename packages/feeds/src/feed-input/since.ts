import { pwError } from '@patchwarden/core';

/** Milliseconds of the `since` option, validated once so a typo fails the import up front. */
export function sinceMillis(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const millis = Date.parse(since);
  if (Number.isNaN(millis)) {
    throw pwError('PW_ERR_USAGE', `"since" is not an RFC 3339 date-time: "${since}"`, { field: 'since' });
  }
  return millis;
}

/** Incremental import keeps only records modified strictly after `since`. */
export function isNewer(modified: string, since: number | undefined): boolean {
  if (since === undefined) return true;
  const millis = Date.parse(modified);
  return Number.isNaN(millis) || millis > since;
}
