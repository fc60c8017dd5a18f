import { parseAssetFilter, pwError } from '@patchwarden/core';
import type { Asset } from '@patchwarden/core';

import { parseAssetCsv, parseAssetJson } from '@patchwarden/inventory';
import type { AssetPatch } from '@patchwarden/store';
import { z } from 'zod';
import type { ServerPlugin } from '../app/build-server.ts';
import { actorOf, authorizeRequest, principalOf } from '../auth/request-principal.ts';
import {
  assetDetailSchema,
  assetImportResultSchema,
  assetImportSchema,
  assetPatchSchema,
  assetSchema,
  installedPackageSchema,
  pageQuery,
} from './asset-schemas.ts';
import { scopedAsset, scopedAssetPage, scopeMatcher, withState } from './asset-scope.ts';
import type { PlatformContext } from './platform-context.ts';

/** The asset as it would be after `patch` (for checking scopes before anything is written). */
function patched(asset: Asset, patch: AssetPatch): Asset {
  const next = { ...asset } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (Array.isArray(next[key])) next[key] = [];
      else delete next[key];
    } else next[key] = value;
  }
  return next as unknown as Asset;
}

const idParams = z.object({ id: z.string().min(1).max(100) });

/** `/assets`: list, read, edit and import assets, within the caller's role scopes. */
export function assetRoutes(context: PlatformContext): ServerPlugin {
  const { assets, audit, clock, staleAfterDays } = context;
  return async (app) => {
    app.get(
      '/assets',
      {
        schema: {
          summary: 'List assets matching an asset filter',
          tags: ['assets'],
          querystring: z.object({ filter: z.string().max(2000).optional(), ...pageQuery }),
          response: { 200: z.object({ items: z.array(assetSchema), nextCursor: z.string().optional() }) },
        },
      },
      async (request) => {
        const matches = scopeMatcher(request, 'assets:read');
        const filter = parseAssetFilter(request.query.filter ?? '');
        const now = clock().toISOString();
        const page = await scopedAssetPage(assets, filter, matches, {
          now,
          staleAfterDays,
          limit: request.query.limit ?? 100,
          ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
        });
        return {
          items: page.items.map((asset) => withState(asset, now, staleAfterDays)),
          ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
        };
      },
    );

    app.get(
      '/assets/:id',
      {
        schema: {
          summary: 'Get one asset with its inventory summary',
          tags: ['assets'],
          params: idParams,
          response: { 200: assetDetailSchema },
        },
      },
      async (request) => {
        const asset = await scopedAsset(request, assets, request.params.id, 'assets:read');
        const inventory = await assets.inventoryOf(asset.id);
        return {
          ...withState(asset, clock().toISOString(), staleAfterDays),
          ...(inventory
            ? {
                inventory: {
                  receivedAt: inventory.receivedAt,
                  packages: inventory.packages.length,
                  hash: inventory.hash,
                },
              }
            : {}),
        };
      },
    );

    app.get(
      '/assets/:id/packages',
      {
        schema: {
          summary: "The asset's installed packages",
          tags: ['assets'],
          params: idParams,
          response: { 200: z.object({ items: z.array(installedPackageSchema) }) },
        },
      },
      async (request) => {
        const asset = await scopedAsset(request, assets, request.params.id, 'assets:read');
        return { items: await assets.packagesOf(asset.id) };
      },
    );

    app.patch(
      '/assets/:id',
      {
        schema: {
          summary: 'Edit curated attributes (null clears one)',
          tags: ['assets'],
          params: idParams,
          body: assetPatchSchema,
          response: { 200: assetSchema },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const before = await scopedAsset(request, assets, request.params.id, 'assets:write');
        const patch = request.body as AssetPatch;
        // A person may not move an asset out of their own scope by editing it (its team, its tags).
        authorizeRequest(request, 'assets:write', { kind: 'asset', asset: patched(before, patch) });
        const after = await assets.update(before.id, patch);
        if (!after) throw pwError('PW_ERR_NOT_FOUND', `No asset ${before.id}`, { record: before.id });
        await audit.append({
          actor: actorOf(principal),
          action: 'asset.update',
          target: { type: 'asset', id: after.id },
          before,
          after,
          details: { fields: Object.keys(patch) },
        });
        return withState(after, clock().toISOString(), staleAfterDays);
      },
    );

    app.post(
      '/assets/import',
      {
        bodyLimit: 32 * 1024 * 1024,
        config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          summary: 'Import an asset list (CSV or JSON); a bad row imports nothing',
          tags: ['assets'],
          body: assetImportSchema,
          response: { 200: assetImportResultSchema },
        },
      },
      async (request) => {
        const principal = authorizeRequest(request, 'assets:write');
        const { format, content } = request.body;
        const file = `request body (${format})`;
        const records = format === 'csv' ? parseAssetCsv(content, file) : parseAssetJson(content, file);
        const matches = scopeMatcher(request, 'assets:write');
        if (matches) {
          // Scoped writers must not create or merge assets they could not edit afterwards.
          throw pwError('PW_ERR_FORBIDDEN', 'Importing assets needs assets:write on every asset', {
            permission: 'assets:write',
          });
        }
        const now = clock().toISOString();
        const result = await assets.importAssets(records, request.body.source ?? format, now);
        const named = await Promise.all(
          result.rows.map(async (row) => ({
            id: row.assetId,
            name: (await assets.get(row.assetId))?.name ?? row.assetId,
            rule: row.rule,
          })),
        );
        await audit.append({
          actor: actorOf(principal),
          action: 'asset.import',
          target: { type: 'asset_import' },
          details: { format, rows: records.length, created: result.created, merged: result.merged },
        });
        return { created: result.created, merged: result.merged, assets: named };
      },
    );
  };
}
