import type { Asset, CompiledPolicy, ExceptionRef, SlaStatus } from '@patchwarden/core';
import { compilePolicy, decideFinding, PolicyContext } from '@patchwarden/core';
import type { StoredFinding } from '../findings/finding-repository.ts';
import type { Database } from '../database/open-database.ts';
import { AssetRepository } from '../assets/asset-repository.ts';
import { PolicyRepository } from './policy-repository.ts';
import { policyFindingOf, withTypeOverrides } from './queue-service.ts';

/**
 * What the current policy says of one stored finding, as every findings view shows it: whether an
 * exception suppresses it, its due date and SLA standing, and why. A risk a person accepted is
 * suppressed the same way unless an emergency covers it. Fixed and false-positive findings carry
 * no policy state: nothing is due for them.
 */
export interface FindingPolicyState {
  policyVersion: number;
  suppressed: boolean;
  /** Exceptions and deferrals in force that cover the finding. */
  exceptions: ExceptionRef[];
  /** Exceptions that covered it and lapsed: it reopened, and its SLA clock never stopped. */
  expiredExceptions: ExceptionRef[];
  /** Emergencies in force for it (they override exceptions and compress the due date). */
  emergencies: string[];
  riskScore?: number;
  riskLevel?: string;
  due?: string;
  slaStatus?: SlaStatus;
  explanation: string;
}

/** Judges findings against one policy version at one instant; build one per request. */
export interface FindingJudge {
  policyVersion: number;
  /** The finding's owner is looked up once per asset; undefined when the asset is gone. */
  judge(stored: StoredFinding): Promise<FindingPolicyState | undefined>;
  /** The asset behind a finding (cached per judge), for callers that also check scope. */
  assetOf(assetId: string): Promise<Asset | undefined>;
}

/**
 * The one place the API's findings views (list, risk, risk matrix) ask the policy, so that a
 * finding the patch queue leaves out as suppressed is suppressed in every view, by the same core
 * `decideFinding` the queue calls.
 */
export class PolicyDecisions {
  readonly #policies: PolicyRepository;
  readonly #assets: AssetRepository;

  constructor(database: Database, policies: PolicyRepository = new PolicyRepository(database)) {
    this.#policies = policies;
    this.#assets = new AssetRepository(database);
  }

  async #compiled(): Promise<{ version: number; policy: CompiledPolicy }> {
    const current = await this.#policies.current();
    const overrides = await this.#policies.typeOverrides();
    return {
      version: current.version,
      policy: withTypeOverrides(compilePolicy(current.document), overrides),
    };
  }

  /** A judge for the current policy at `now` (RFC 3339). */
  async judgeAt(now: string): Promise<FindingJudge> {
    const { version, policy } = await this.#compiled();
    const context = new PolicyContext(policy, now);
    const assets = new Map<string, Promise<Asset | undefined>>();
    const assetOf = (id: string): Promise<Asset | undefined> => {
      let found = assets.get(id);
      if (found === undefined) {
        found = this.#assets.get(id);
        assets.set(id, found);
      }
      return found;
    };
    return {
      policyVersion: version,
      assetOf,
      judge: async (stored) => {
        const asset = await assetOf(stored.assetId);
        if (asset === undefined) return undefined;
        if (stored.status !== 'open' && stored.status !== 'risk-accepted') {
          return {
            policyVersion: version,
            suppressed: false,
            exceptions: [],
            expiredExceptions: [],
            emergencies: [],
            explanation: `closed (${stored.status}): no policy applies`,
          };
        }
        const decision = decideFinding({ finding: policyFindingOf(stored), asset, now }, policy, context);
        return {
          policyVersion: version,
          suppressed: decision.suppressed,
          exceptions: decision.exceptions.active,
          expiredExceptions: decision.exceptions.expired,
          emergencies: decision.emergency?.ids ?? [],
          riskScore: decision.risk.score,
          riskLevel: decision.risk.level,
          ...(decision.due === undefined ? {} : { due: decision.due }),
          ...(decision.status === undefined ? {} : { slaStatus: decision.status }),
          explanation: decision.explanation,
        };
      },
    };
  }
}
