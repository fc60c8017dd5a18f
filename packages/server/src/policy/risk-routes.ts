import type { Asset, RiskMatrixItem, RiskWeightOverrides } from '@patchwarden/core';
import {
  buildRiskMatrix,
  parseAssetFilter,
  pwError,
  riskWeightsWith,
  scoreRisk,
  ssvcDecision,
} from '@patchwarden/core';
import type { Database, PolicyRepository } from '@patchwarden/store';
import { AssetRepository, FindingRepository, PolicyDecisions } from '@patchwarden/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const anyObject = z.record(z.string(), z.unknown());

const riskAnswer = z.object({
  findingId: z.number(),
  assetId: z.string(),
  vulnerabilityId: z.string(),
  policyVersion: z.number(),
  risk: anyObject,
  ssvc: anyObject,
  policy: anyObject.optional(),
});

const matrixQuery = z.object({ filter: z.string().optional() });

export interface RiskRoutesOptions {
  database: Database;
  policies: PolicyRepository;
  clock: () => Date;
  /** The caller's asset scope for reading findings (undefined = every asset). */
  readScope: (request: FastifyRequest) => ((asset: Asset) => boolean) | undefined;
}

/**
 * Explainable risk per finding (every factor and its contribution, under the current policy's
 * weights), its CISA SSVC decision, and the risk matrix (severity x asset criticality).
 */
export function registerRiskRoutes(fastify: FastifyInstance, options: RiskRoutesOptions): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const assets = new AssetRepository(options.database);
  const findings = new FindingRepository(options.database);
  const decisions = new PolicyDecisions(options.database, options.policies);

  const weights = async () => {
    const current = await options.policies.current();
    const overrides = (current.document.spec as { riskWeights?: RiskWeightOverrides }).riskWeights;
    return { version: current.version, weights: riskWeightsWith(overrides ?? {}) };
  };

  app.get(
    '/findings/:id/risk',
    {
      schema: {
        summary: "A finding's risk score with each factor's contribution, and its SSVC decision",
        tags: ['risk'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 200: riskAnswer },
      },
    },
    async (request) => {
      const scope = options.readScope(request);
      const stored = await findings.get(request.params.id);
      const asset = stored ? await assets.get(stored.assetId) : undefined;
      // Out of scope looks the same as absent: a scoped user learns nothing about other teams.
      if (!stored || !asset || (scope && !scope(asset))) {
        throw pwError('PW_ERR_NOT_FOUND', `No finding ${request.params.id}`, {
          record: String(request.params.id),
        });
      }
      const { version, weights: riskWeights } = await weights();
      const context = {
        ...(asset.businessImpact !== undefined ? { businessImpact: asset.businessImpact } : {}),
        ...(asset.exposure !== undefined ? { exposure: asset.exposure } : {}),
        ...(asset.dataSensitivity !== undefined ? { dataSensitivity: asset.dataSensitivity } : {}),
      };
      const risk = scoreRisk(
        { finding: stored.finding, asset: context, at: options.clock().toISOString() },
        riskWeights,
      );
      const ssvc = ssvcDecision({ finding: stored.finding, asset: context });
      const policy = await (await decisions.judgeAt(options.clock().toISOString())).judge(stored);
      return {
        findingId: stored.id,
        assetId: stored.assetId,
        vulnerabilityId: stored.finding.id,
        policyVersion: version,
        risk: risk as unknown as Record<string, unknown>,
        ssvc: ssvc as unknown as Record<string, unknown>,
        ...(policy === undefined ? {} : { policy: policy as unknown as Record<string, unknown> }),
      };
    },
  );

  app.get(
    '/reports/risk-matrix',
    {
      schema: {
        summary:
          'Open findings by severity x asset criticality (business impact), counts per cell; findings an exception suppresses are counted apart',
        tags: ['risk'],
        querystring: matrixQuery,
        response: { 200: anyObject },
      },
    },
    async (request) => {
      const scope = options.readScope(request);
      const now = options.clock().toISOString();
      const items: RiskMatrixItem[] = [];
      // The same judgement as the queue and GET /findings: suppressed findings leave the cells.
      const judge = await decisions.judgeAt(now);
      let suppressed = 0;
      const filter = parseAssetFilter(request.query.filter ?? '');
      let cursor: string | undefined;
      do {
        const page = await assets.list(filter, { now, limit: 500, ...(cursor ? { cursor } : {}) });
        for (const asset of page.items) {
          if (scope && !scope(asset)) continue;
          let findingCursor: string | undefined;
          do {
            const open = await findings.list(
              { assetId: asset.id, status: 'open' },
              { limit: 1000, ...(findingCursor ? { cursor: findingCursor } : {}) },
            );
            for (const stored of open.items) {
              if ((await judge.judge(stored))?.suppressed) {
                suppressed++;
                continue;
              }
              items.push({ severity: stored.finding.severity, businessImpact: asset.businessImpact ?? null });
            }
            findingCursor = open.nextCursor;
          } while (findingCursor);
        }
        cursor = page.nextCursor;
      } while (cursor);
      const matrix = buildRiskMatrix(items);
      return { ...matrix, suppressed, policyVersion: judge.policyVersion } as unknown as Record<
        string,
        unknown
      >;
    },
  );
}
