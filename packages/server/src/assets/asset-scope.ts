import { assetScopeFor, assetState, pwError } from '@patchwarden/core';
import type { Asset, AssetFilter, AssetState, Permission } from '@patchwarden/core';
import type { AssetRepository } from '@patchwarden/store';
import type { FastifyRequest } from 'fastify';
import { authorizeRequest, principalOf } from '../auth/request-principal.ts';

export type AssetWithState = Asset & { state: AssetState };

export function withState(asset: Asset, now: string, staleAfterDays: number): AssetWithState {
  return { ...asset, state: assetState(asset, now, { staleAfterDays }) };
}

/** The caller's matcher for `permission` over assets; `undefined` means every asset. */
export function scopeMatcher(
  request: FastifyRequest,
  permission: Permission,
): ((asset: Asset) => boolean) | undefined {
  const scope = assetScopeFor(principalOf(request), permission);
  if (scope.kind === 'all') return undefined;
  if (scope.kind === 'none')
    throw pwError('PW_ERR_FORBIDDEN', `Permission ${permission} is required`, { permission });
  return scope.matches;
}

/**
 * One asset the caller may act on with `permission`. An asset outside a read scope is reported as
 * missing, so that scoped users cannot learn which ids exist elsewhere.
 */
export async function scopedAsset(
  request: FastifyRequest,
  assets: AssetRepository,
  id: string,
  permission: Permission,
): Promise<Asset> {
  const asset = await assets.get(id);
  const readable = asset && (scopeMatcher(request, 'assets:read')?.(asset) ?? true);
  if (!asset || !readable) throw pwError('PW_ERR_NOT_FOUND', `No asset ${id}`, { record: id });
  if (permission !== 'assets:read') authorizeRequest(request, permission, { kind: 'asset', asset });
  return asset;
}

/** A page of assets matching `filter` within the caller's scope (pages on until `limit` are found). */
export async function scopedAssetPage(
  assets: AssetRepository,
  filter: AssetFilter,
  matches: ((asset: Asset) => boolean) | undefined,
  options: { now: string; staleAfterDays: number; limit: number; cursor?: string },
): Promise<{ items: Asset[]; nextCursor?: string }> {
  const items: Asset[] = [];
  let cursor = options.cursor;
  for (;;) {
    const page = await assets.list(filter, {
      now: options.now,
      staleAfterDays: options.staleAfterDays,
      limit: options.limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...(matches ? page.items.filter(matches) : page.items));
    cursor = page.nextCursor;
    if (cursor === undefined) return { items };
    if (items.length >= options.limit) {
      // Cut at a page boundary of the repository so the cursor stays exact.
      return { items, nextCursor: cursor };
    }
  }
}

/** Every asset the caller may read (for reports). */
export async function allScopedAssets(
  assets: AssetRepository,
  matches: ((asset: Asset) => boolean) | undefined,
  now: string,
  staleAfterDays: number,
): Promise<Asset[]> {
  const all: Asset[] = [];
  let cursor: string | undefined;
  do {
    const page = await assets.list(
      { terms: [] },
      { now, staleAfterDays, limit: 1000, ...(cursor === undefined ? {} : { cursor }) },
    );
    all.push(...(matches ? page.items.filter(matches) : page.items));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}
