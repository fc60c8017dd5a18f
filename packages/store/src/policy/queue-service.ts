import { sql } from 'kysely';
import type {
  Asset,
  CompiledPolicy,
  PatchQueue,
  PolicyDocument,
  PolicyFinding,
  WhatIfResult,
} from '@patchwarden/core';
import { buildPatchQueue, compilePolicy, parseAssetFilter, simulatePolicyChange } from '@patchwarden/core';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { FindingRepository } from '../findings/finding-repository.ts';
import type { StoredFinding } from '../findings/finding-repository.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { chunks } from '../util/batches.ts';
import { PolicyRepository } from './policy-repository.ts';
import type { StoredTypeOverride } from './policy-repository.ts';

const PAGE = 1000;

export interface QueueRequest {
  /** RFC 3339 instant the queue is computed at; the service never reads a clock. */
  now: string;
  /** Asset filter text (the asset filter language); absent or empty: every asset. */
  filter?: string;
  /** Only these assets (the caller's authorisation scope), on top of the filter. */
  assetScope?: (asset: Asset) => boolean;
  /** Evaluate this policy instead of the current one (an offline `--policy` file). */
  policy?: PolicyDocument;
}

/** The fleet as policy sees it: assets, their open findings and when each fix was published. */
export interface PolicyFleet {
  assets: Asset[];
  findings: PolicyFinding[];
  publishedAt: (advisoryId: string) => string | undefined;
}

export interface QueueResult extends PatchQueue {
  /** The policy version evaluated (0: the built-in default; absent: a policy passed in). */
  policyVersion?: number;
}

/** A stored finding as the policy engine reads it (open, or risk-accepted with who and why). */
export function policyFindingOf(stored: StoredFinding): PolicyFinding {
  const base = { ...stored.finding, assetId: stored.assetId, firstSeen: stored.firstSeen };
  if (stored.status !== 'risk-accepted') return { ...base, status: stored.status };
  return {
    ...base,
    status: 'risk-accepted',
    acceptance: {
      by: stored.statusBy ?? 'unknown',
      reason: stored.statusReason ?? '',
      ...(stored.statusAt === undefined ? {} : { at: stored.statusAt }),
    },
  };
}

/**
 * A person's patch-type override replaces the rules' classification of that patch: the compiled
 * policy's classifier is wrapped, so approval, SLA rules and the queue all see the same type.
 */
export function withTypeOverrides(
  policy: CompiledPolicy,
  overrides: readonly StoredTypeOverride[],
): CompiledPolicy {
  if (overrides.length === 0) return policy;
  const byPatch = new Map(
    overrides.map((o) => [`${o.ecosystem}\u0000${o.package}\u0000${o.fixedVersion}`, o]),
  );
  const { classifier } = policy;
  return {
    ...policy,
    classifier: {
      ...classifier,
      classify: (patch, override) => {
        const stored = byPatch.get(`${patch.ecosystem}\u0000${patch.packageName}\u0000${patch.fixedVersion}`);
        const chosen =
          override ??
          (stored === undefined
            ? undefined
            : { type: stored.type, by: stored.by, reason: stored.reason, at: stored.at });
        return classifier.classify(patch, chosen);
      },
    },
  };
}

/**
 * Loads what the policy engine needs from the store (assets, open findings, the current policy,
 * publication dates, overrides) and calls the core's pure `buildPatchQueue` and
 * `simulatePolicyChange` with the `now` it is given.
 */
export class QueueService {
  readonly #database: Database;
  readonly #assets: AssetRepository;
  readonly #findings: FindingRepository;
  readonly #policies: PolicyRepository;

  constructor(database: Database, policies: PolicyRepository = new PolicyRepository(database)) {
    this.#database = database;
    this.#assets = new AssetRepository(database);
    this.#findings = new FindingRepository(database);
    this.#policies = policies;
  }

  async fleet(request: Omit<QueueRequest, 'policy'>): Promise<PolicyFleet> {
    const filter = parseAssetFilter(request.filter ?? '');
    const assets: Asset[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#assets.list(filter, {
        now: request.now,
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      assets.push(...(request.assetScope ? page.items.filter(request.assetScope) : page.items));
      cursor = page.nextCursor;
    } while (cursor !== undefined);

    const ids = new Set(assets.map((a) => a.id));
    const findings: PolicyFinding[] = [];
    // Accepted risks come along: an emergency overrides a person's acceptance (core decideFinding).
    cursor = undefined;
    do {
      const page = await this.#findings.list(
        { status: ['open', 'risk-accepted'] },
        { limit: PAGE, ...(cursor === undefined ? {} : { cursor }) },
      );
      for (const stored of page.items) {
        if (!ids.has(stored.assetId)) continue;
        findings.push(policyFindingOf(stored));
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);

    const published = await this.#publishedDates(findings);
    return { assets, findings, publishedAt: (id) => published.get(id) };
  }

  async #publishedDates(findings: readonly PolicyFinding[]): Promise<Map<string, string>> {
    const ids = [...new Set(findings.flatMap((f) => f.evidence.map((e) => e.advisoryId)))];
    const out = new Map<string, string>();
    for (const batch of chunks(ids, 5000)) {
      const { rows } = await sql<{ id: string; published: Date | null }>`
        select id, published from advisories
        where id in (select jsonb_array_elements_text(${jsonbParam(batch)}))`.execute(this.#database.db);
      // An id published by several feeds keeps its earliest date.
      for (const row of rows) {
        if (row.published === null) continue;
        const text = row.published.toISOString();
        const known = out.get(row.id);
        if (known === undefined || text < known) out.set(row.id, text);
      }
    }
    return out;
  }

  async #compiled(policy: PolicyDocument): Promise<CompiledPolicy> {
    return withTypeOverrides(compilePolicy(policy), await this.#policies.typeOverrides());
  }

  /** The patch queue under the current policy (or `request.policy`). */
  async queue(request: QueueRequest): Promise<QueueResult> {
    const current = request.policy === undefined ? await this.#policies.current() : undefined;
    const document = request.policy ?? (current as { document: PolicyDocument }).document;
    const fleet = await this.fleet(request);
    const queue = buildPatchQueue({ ...fleet, policy: await this.#compiled(document), now: request.now });
    return current === undefined ? queue : { ...queue, policyVersion: current.version };
  }

  /** What `proposed` would change against the current policy; nothing is saved. */
  async whatIf(proposed: PolicyDocument, request: Omit<QueueRequest, 'policy'>): Promise<WhatIfResult> {
    const current = await this.#policies.current();
    const fleet = await this.fleet(request);
    return simulatePolicyChange(
      { ...fleet, now: request.now },
      await this.#compiled(current.document),
      await this.#compiled(proposed),
    );
  }
}
