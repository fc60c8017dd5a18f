import { pwError } from '@patchwarden/core';
import type { Asset } from '@patchwarden/core';
import { z } from 'zod';
import type { ServerPlugin } from '../app/build-server.ts';
import { actorOf, authorizeRequest, principalOf } from '../auth/request-principal.ts';
import {
  findingPatchSchema,
  type FindingBody,
  findingStatusSchema,
  pageQuery,
  severitySchema,
  storedFindingSchema,
} from './asset-schemas.ts';
import { scopedAsset, scopeMatcher } from './asset-scope.ts';
import type { PlatformContext } from './platform-context.ts';

const MAX_SCOPED_PAGES = 50;

/** `/findings`: list findings and record decisions (accept a risk, mark a false positive, reopen). */
export function findingRoutes(context: PlatformContext): ServerPlugin {
  const { assets, findings, audit, clock, policyDecisions } = context;
  return async (app) => {
    app.get(
      '/findings',
      {
        schema: {
          summary: 'List findings',
          tags: ['findings'],
          querystring: z.object({
            asset: z.string().max(100).optional(),
            status: findingStatusSchema.optional(),
            severity: severitySchema.optional(),
            vulnerability: z.string().max(200).optional(),
            suppressed: z
              .enum(['exclude', 'include', 'only'])
              .optional()
              .describe(
                'Open findings an exception or deferral suppresses: left out (default), listed too, or alone',
              ),
            ...pageQuery,
          }),
          response: {
            200: z.object({ items: z.array(storedFindingSchema), nextCursor: z.string().optional() }),
          },
        },
      },
      async (request) => {
        const matches = scopeMatcher(request, 'findings:read');
        const { asset, status, severity, vulnerability, limit = 100, suppressed = 'exclude' } = request.query;
        if (asset !== undefined) await scopedAsset(request, assets, asset, 'assets:read');
        const query = {
          ...(asset === undefined ? {} : { assetId: asset }),
          ...(status === undefined ? {} : { status }),
          ...(severity === undefined ? {} : { severity }),
          ...(vulnerability === undefined ? {} : { vulnerabilityId: vulnerability }),
        };
        // Each finding is judged by the current policy, as the patch queue judges it: a finding an
        // exception suppresses is left out here too unless the caller asks for it.
        const judge = await policyDecisions.judgeAt(clock().toISOString());
        const items: FindingBody[] = [];
        let cursor = request.query.cursor;
        for (let pages = 0; pages < MAX_SCOPED_PAGES; pages++) {
          const page = await findings.list(query, {
            limit: limit - items.length,
            ...(cursor === undefined ? {} : { cursor }),
          });
          for (const finding of page.items) {
            if (matches && asset === undefined) {
              const owner: Asset | undefined = await judge.assetOf(finding.assetId);
              if (owner === undefined || !matches(owner)) continue;
            }
            const policy = await judge.judge(finding);
            if (policy === undefined) continue; // its asset was removed meanwhile
            // Only open findings are hidden: a risk a person accepted stays listed under its status.
            if (suppressed === 'exclude' && policy.suppressed && finding.status === 'open') continue;
            if (suppressed === 'only' && !policy.suppressed) continue;
            items.push({ ...finding, policy } as unknown as FindingBody);
          }
          cursor = page.nextCursor;
          if (cursor === undefined || items.length >= limit) break;
        }
        return { items, ...(cursor === undefined ? {} : { nextCursor: cursor }) };
      },
    );

    app.patch(
      '/findings/:id',
      {
        schema: {
          summary: 'Record a decision on a finding',
          tags: ['findings'],
          params: z.object({ id: z.coerce.number().int().positive() }),
          body: findingPatchSchema,
          response: { 200: storedFindingSchema },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const before = await findings.get(request.params.id);
        if (!before) {
          throw pwError('PW_ERR_NOT_FOUND', `No finding ${request.params.id}`, {
            record: String(request.params.id),
          });
        }
        const asset = await scopedAsset(request, assets, before.assetId, 'assets:read');
        authorizeRequest(request, 'findings:write', { kind: 'asset', asset });
        const after = await findings.setStatus(
          before.id,
          request.body.status,
          principal.username,
          request.body.reason,
          clock().toISOString(),
        );
        if (!after)
          throw pwError('PW_ERR_NOT_FOUND', `No finding ${before.id}`, { record: String(before.id) });
        await audit.append({
          actor: actorOf(principal),
          action: 'finding.status',
          target: { type: 'finding', id: String(after.id) },
          before: { status: before.status, statusReason: before.statusReason ?? null },
          after: { status: after.status, statusReason: after.statusReason ?? null },
          details: { assetId: after.assetId, vulnerabilityId: after.finding.id },
        });
        return after as unknown as FindingBody;
      },
    );
  };
}
