import { assetState, driftReport, feedCoverage, isHiddenAsset, matchEcosystem } from '@patchwarden/core';
import { sql } from 'kysely';
import { z } from 'zod';
import type { ServerPlugin } from '../app/build-server.ts';
import { assetSchema } from './asset-schemas.ts';
import { allScopedAssets, scopeMatcher, withState } from './asset-scope.ts';
import type { PlatformContext } from './platform-context.ts';

const assetList = z.object({ items: z.array(assetSchema) });

/** `/reports/*`: what the inventory cannot vouch for (stale, hidden, drifting, uncovered). */
export function reportRoutes(context: PlatformContext): ServerPlugin {
  const { assets, clock, staleAfterDays, database } = context;
  return async (app) => {
    const readable = async (request: Parameters<typeof scopeMatcher>[0], days = staleAfterDays) => {
      const now = clock().toISOString();
      const all = await allScopedAssets(assets, scopeMatcher(request, 'assets:read'), now, days);
      return { now, all };
    };

    app.get(
      '/reports/stale',
      {
        schema: {
          summary: 'Assets whose inventory is older than `days` or was never received',
          tags: ['reports'],
          querystring: z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) }),
          response: { 200: assetList },
        },
      },
      async (request) => {
        const days = request.query.days;
        const { now, all } = await readable(request, days);
        const items = all
          .filter((asset) => assetState(asset, now, { staleAfterDays: days }) !== 'current')
          .map((asset) => withState(asset, now, days));
        return { items };
      },
    );

    app.get(
      '/reports/hidden',
      {
        schema: {
          summary: 'Assets seen by scanners or imports but running no agent',
          tags: ['reports'],
          response: { 200: assetList },
        },
      },
      async (request) => {
        const { now, all } = await readable(request);
        return { items: all.filter(isHiddenAsset).map((asset) => withState(asset, now, staleAfterDays)) };
      },
    );

    app.get(
      '/reports/drift',
      {
        schema: {
          summary: 'Packages running in several versions across assets of one OS release',
          tags: ['reports'],
          querystring: z.object({ languagePackages: z.coerce.boolean().default(false) }),
          response: {
            200: z.object({ items: z.array(z.looseObject({ os: z.string(), assets: z.number() })) }),
          },
        },
      },
      async (request) => {
        const { all } = await readable(request);
        const withPackages = [];
        for (const asset of all) withPackages.push({ asset, packages: await assets.packagesOf(asset.id) });
        const items = driftReport(withPackages, { includeLanguagePackages: request.query.languagePackages });
        return { items: items as unknown as { os: string; assets: number }[] };
      },
    );

    app.get(
      '/reports/coverage',
      {
        schema: {
          summary: 'Which ecosystems of each asset a recently synchronised feed covers',
          tags: ['reports'],
          querystring: z.object({ maxAgeDays: z.coerce.number().int().min(1).max(3650).default(7) }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  assetId: z.string(),
                  fresh: z.array(z.string()),
                  stale: z.array(z.string()),
                  uncovered: z.array(z.string()),
                  flagged: z.boolean(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const { now, all } = await readable(request);
        const { rows } = await sql<{ ecosystem: string; last_sync_at: Date | null }>`
          select p.ecosystem, (select max(finished_at) from feed_sync where ok) as last_sync_at
          from (select distinct ecosystem from advisory_packages) p`.execute(database.db);
        const covered = rows
          .filter((row) => row.last_sync_at !== null)
          .map((row) => ({
            ecosystem: row.ecosystem,
            lastSyncAt: new Date(row.last_sync_at!).toISOString(),
          }));
        const ecosystems = [];
        for (const asset of all) {
          const packages = await assets.packagesOf(asset.id);
          const found = new Set(packages.flatMap((p) => (p.ecosystem ? [matchEcosystem(p.ecosystem)] : [])));
          ecosystems.push({ assetId: asset.id, ecosystems: [...found] });
        }
        return { items: feedCoverage(ecosystems, covered, now, request.query.maxAgeDays) };
      },
    );
  };
}
