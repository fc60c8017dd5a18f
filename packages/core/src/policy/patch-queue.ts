/**
 * The patch queue: open findings grouped into deployable patches, each one package upgrade to
 * one fixed version that closes N findings on M assets, with its due date, the window it falls
 * in on each asset, its approval state, the risk it removes and what it disturbs; sorted by risk
 * removed per unit of disruption (ties: earlier due date). Pure: `now` is passed in.
 *
 * Grouping. On each asset, the open, unsuppressed findings of one package (the source package
 * for OS packages: one `dnf upgrade openssl` also updates openssl-libs) are closed together by an
 * upgrade to the highest of their fixed versions: upgrades are cumulative, so a fleet that misses
 * three NetworkManager errata needs one upgrade, not three. Assets that need the same package at
 * the same version share one patch: key (ecosystem, package, fixedVersion). When an ecosystem's
 * versions cannot be ordered, each fixed version is its own patch.
 *
 * Accounting. Every open finding lands in exactly one place: a patch, `suppressed` (an exception
 * or deferral in force), or `withoutFix` (no fixed version published). A finding a person marked
 * `risk-accepted` counts as open and suppressed, unless an emergency covers it: then it is queued
 * like any other. Suppressed findings that an item's upgrade would close anyway are also counted
 * on the item.
 *
 * Risk removed: the sum of scoreRisk over the vulnerabilities closed on each asset. One
 * vulnerability carried by several binary packages of one source package (kernel, kernel-core,
 * kernel-modules...) is one exposure of the asset and counts once (its highest score).
 *
 * Scheduling, per asset: work may begin at `now` once approved (at the rule's auto-approval
 * time when pending on one; never while it waits for a person or is rejected). Then:
 * - an emergency that overrides windows: at once, outside windows;
 * - the asset has windows (first matching `windowAssignments` entry): the first window at or
 *   after that time that ends by the due date, else the first window at all (predicted breach);
 * - no assignment covers the asset: no maintenance restriction, at once.
 * A breach is predicted when the work cannot be finished (window end, or start when unrestricted)
 * by the due date.
 */
import type { Asset } from '../assets/asset.ts';
import { pwError } from '../errors/errors.ts';
import type { PatchClassification } from '../patches/classify-patch.ts';
import type { PatchType } from '../patches/patch-type.ts';
import type { Instant } from '../risk/instant.ts';
import type { RiskFactor, RiskLevel } from '../risk/risk-score.ts';
import { firstWindowAtOrAfter, nextOccurrences } from '../schedule/maintenance-window.ts';
import type { MaintenanceWindowSpec, WindowSlot } from '../schedule/maintenance-window.ts';
import { schemeForEcosystem } from '../versions/registry.ts';
import { evaluateApproval } from './baseline.ts';
import type { ApprovalResult, ApprovalState } from './baseline.ts';
import type { CompiledAssignment, CompiledPolicy } from './compile-policy.ts';
import { findingFacts, highestRiskLevel } from './conditions.ts';
import { estimateDisruption } from './disruption.ts';
import type { DisruptionEstimate } from './disruption.ts';
import type { EmergencyEffect } from './emergency.ts';
import { decideFinding, suppressedBy } from './finding-decision.ts';
import type { FindingDecision } from './finding-decision.ts';
import { isoOf, PolicyContext } from './policy-context.ts';
import { patchCandidateOf, patchPackageName, vulnerabilityIds } from './policy-finding.ts';
import type { PolicyFinding } from './policy-finding.ts';
import type { PolicyDocument } from './policy-schema.ts';
import type { SlaStatus } from './sla.ts';

export interface PatchQueueInput {
  findings: readonly PolicyFinding[];
  assets: readonly Asset[];
  policy: PolicyDocument | CompiledPolicy;
  now: Instant;
  /** When an advisory was published (its fix released), for auto-approval; unknown: first seen counts. */
  publishedAt?: (advisoryId: string) => string | undefined;
}

export type ScheduleMode = 'window' | 'anytime' | 'emergency-override' | 'unscheduled';

export interface PlannedSlot {
  mode: ScheduleMode;
  windowId?: string;
  windowStart?: string;
  windowEnd?: string;
  /** When work may begin. */
  plannedAt?: string;
  plannedEpochMs?: number;
  /** When it is done at the latest: the window's end, else the start. */
  finishEpochMs?: number;
  reason: string;
}

export interface QueueFinding {
  key: string;
  id: string;
  assetId: string;
  /** The installed (binary) package. */
  packageName: string;
  installedVersion: string;
  fixedVersion?: string;
  severity: PolicyFinding['severity'];
  risk: number;
  riskLevel: RiskLevel;
  due?: string;
  sla?: SlaStatus;
  emergencies?: string[];
  explanation: string;
}

export interface SuppressedFinding extends QueueFinding {
  exceptions: string[];
}

export interface QueueAssetPlan {
  assetId: string;
  assetName: string;
  /** Keys of the findings the upgrade closes here. */
  findings: string[];
  installed: { name: string; version: string }[];
  due?: string;
  dueEpochMs?: number;
  sla?: SlaStatus;
  emergency?: EmergencyEffect;
  approval: ApprovalResult;
  slot: PlannedSlot;
  predictedBreach: boolean;
  explanation: string;
}

export interface RiskContribution {
  assetId: string;
  vulnerability: string;
  findings: string[];
  score: number;
  level: RiskLevel;
  factors: RiskFactor[];
  explanation: string;
}

export interface ApprovalGroup {
  baseline?: string;
  state: ApprovalState;
  rule: string;
  assetIds: string[];
}

export interface PatchQueueItem {
  /** `ecosystem/package@fixedVersion`. */
  id: string;
  ecosystem: string;
  packageName: string;
  fixedVersion: string;
  binaryPackages: string[];
  patchType: PatchType | null;
  classification: PatchClassification;
  assets: QueueAssetPlan[];
  findings: QueueFinding[];
  vulnerabilities: string[];
  /** Suppressed findings this upgrade closes too; not counted in risk removed. */
  suppressed: SuppressedFinding[];
  riskRemoved: { total: number; contributions: RiskContribution[] };
  disruption: DisruptionEstimate;
  /** Risk removed per unit of disruption. */
  ratio: number;
  /** The earliest due date over its findings (emergency-compressed). */
  due?: string;
  dueEpochMs?: number;
  dueFinding?: string;
  sla?: SlaStatus;
  emergencies: string[];
  approval: { state: ApprovalState | 'mixed'; groups: ApprovalGroup[] };
  predictedBreaches: number;
  explanation: string[];
}

export interface WindowLoad {
  windowId: string;
  start: string;
  end: string;
  patches: number;
  /** Asset x patch jobs in the occurrence. */
  jobs: number;
  /** Distinct assets patched in it. */
  assets: number;
}

export interface PatchQueue {
  now: string;
  items: PatchQueueItem[];
  suppressed: SuppressedFinding[];
  withoutFix: QueueFinding[];
  windowLoad: WindowLoad[];
  summary: {
    findings: number;
    open: number;
    closed: number;
    duplicates: number;
    queued: number;
    suppressed: number;
    withoutFix: number;
    patches: number;
    assetJobs: number;
    predictedBreaches: number;
    breachedNow: number;
    emergencyPatches: number;
  };
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

function queueFinding(decision: FindingDecision): QueueFinding {
  const { finding } = decision;
  const out: QueueFinding = {
    key: decision.key,
    id: finding.id,
    assetId: finding.assetId,
    packageName: finding.package.name,
    installedVersion: finding.package.version,
    severity: finding.severity,
    risk: decision.risk.score,
    riskLevel: decision.risk.level,
    explanation: decision.explanation,
  };
  if (finding.fixedVersion !== undefined) out.fixedVersion = finding.fixedVersion;
  if (decision.due !== undefined) out.due = decision.due;
  if (decision.status !== undefined) out.sla = decision.status;
  if (decision.emergency) out.emergencies = decision.emergency.ids;
  return out;
}

/** The versions in ascending order, or undefined when the ecosystem cannot order them all. */
function sortedVersions(ecosystem: string, versions: readonly string[]): string[] | undefined {
  const distinct = [...new Set(versions)];
  if (distinct.length === 1) return distinct;
  const scheme = schemeForEcosystem(ecosystem);
  if (!scheme || !distinct.every((v) => scheme.isValid(v))) return undefined;
  return distinct.sort((a, b) => scheme.compare(a, b));
}

/** Chooses windows; occurrences are cached because many patches share an instant and a window set. */
class WindowPlanner {
  readonly #context: PolicyContext;
  readonly #assignment = new Map<string, CompiledAssignment | null>();
  readonly #first = new Map<string, WindowSlot | null>();
  readonly #firstOf = new Map<string, WindowSlot | null>();

  constructor(context: PolicyContext) {
    this.#context = context;
  }

  assignmentFor(asset: Asset): CompiledAssignment | undefined {
    let found = this.#assignment.get(asset.id);
    if (found === undefined) {
      found =
        this.#context.policy.assignments.find((a) => this.#context.assets.matches(a.assets, asset)) ?? null;
      this.#assignment.set(asset.id, found);
    }
    return found ?? undefined;
  }

  #firstSlot(assignment: CompiledAssignment, fromMs: number): WindowSlot | undefined {
    const key = `${assignment.index}@${fromMs}`;
    if (!this.#first.has(key)) this.#first.set(key, firstWindowAtOrAfter(assignment.windows, fromMs) ?? null);
    return this.#first.get(key) ?? undefined;
  }

  #firstOfWindow(window: MaintenanceWindowSpec, fromMs: number): WindowSlot | undefined {
    const key = `${window.id}@${fromMs}`;
    if (!this.#firstOf.has(key)) {
      const [occurrence] = nextOccurrences(window, fromMs, 1);
      const slot = occurrence
        ? {
            ...occurrence,
            usableFromEpochMs: Math.max(occurrence.startEpochMs, fromMs),
            usableFrom: isoOf(Math.max(occurrence.startEpochMs, fromMs)),
          }
        : null;
      this.#firstOf.set(key, slot);
    }
    return this.#firstOf.get(key) ?? undefined;
  }

  plan(
    asset: Asset,
    approval: ApprovalResult,
    dueMs: number | undefined,
    emergency?: EmergencyEffect,
  ): PlannedSlot {
    const nowMs = this.#context.nowMs;
    if (approval.state === 'rejected') return { mode: 'unscheduled', reason: 'not scheduled: rejected' };
    let fromMs = nowMs;
    if (approval.state === 'pending') {
      if (approval.approvesAt === undefined) {
        return { mode: 'unscheduled', reason: "not scheduled: waiting for a person's approval" };
      }
      fromMs = Math.max(nowMs, Date.parse(approval.approvesAt));
    }
    const from = isoOf(fromMs);
    if (emergency?.overrideWindows) {
      return {
        mode: 'emergency-override',
        plannedAt: from,
        plannedEpochMs: fromMs,
        finishEpochMs: fromMs,
        reason: `at once (${from}), outside maintenance windows: emergency ${emergency.ids.join(', ')} overrides them`,
      };
    }
    const assignment = this.assignmentFor(asset);
    if (!assignment) {
      return {
        mode: 'anytime',
        plannedAt: from,
        plannedEpochMs: fromMs,
        finishEpochMs: fromMs,
        reason: `no maintenance window is assigned to ${asset.name}: no restriction, from ${from}`,
      };
    }
    let slot = this.#firstSlot(assignment, fromMs);
    if (slot && dueMs !== undefined && slot.endEpochMs > dueMs) {
      // A shorter window of another schedule may still end in time.
      const inTime = assignment.windows
        .map((w) => this.#firstOfWindow(w, fromMs))
        .filter((s): s is WindowSlot => s !== undefined && s.endEpochMs <= dueMs)
        .sort((a, b) => a.usableFromEpochMs - b.usableFromEpochMs)[0];
      if (inTime) slot = inTime;
    }
    const via = `windows of ${assignment.field} ("${assignment.spec.assets}")`;
    if (!slot) return { mode: 'unscheduled', reason: `no occurrence of the ${via} lies ahead` };
    return {
      mode: 'window',
      windowId: slot.windowId,
      windowStart: slot.start,
      windowEnd: slot.end,
      plannedAt: slot.usableFrom,
      plannedEpochMs: slot.usableFromEpochMs,
      finishEpochMs: slot.endEpochMs,
      reason: `window ${slot.windowId} ${slot.start} to ${slot.end} (${via})`,
    };
  }
}

interface AssetBucket {
  asset: Asset;
  ecosystem: string;
  packageName: string;
  decisions: FindingDecision[];
}

interface PatchDraft {
  ecosystem: string;
  packageName: string;
  fixedVersion: string;
  perAsset: { asset: Asset; decisions: FindingDecision[] }[];
}

export function buildPatchQueue(input: PatchQueueInput): PatchQueue {
  const context = new PolicyContext(input.policy, input.now);
  const compiled = context.policy;
  const assetsById = new Map<string, Asset>(input.assets.map((asset) => [asset.id, asset]));
  const seen = new Set<string>();
  let closed = 0;
  let duplicates = 0;
  const suppressed: { decision: FindingDecision; queued: SuppressedFinding }[] = [];
  const withoutFix: QueueFinding[] = [];
  const buckets = new Map<string, AssetBucket>();

  input.findings.forEach((finding, index) => {
    if (finding.status !== 'open' && finding.status !== 'risk-accepted') {
      closed++;
      return;
    }
    const asset = assetsById.get(finding.assetId);
    if (!asset) {
      throw pwError('PW_ERR_INVALID_RECORD', `findings[${index}].assetId: no asset "${finding.assetId}"`, {
        field: `findings[${index}].assetId`,
        record: finding.id,
      });
    }
    const decision = decideFinding({ finding, asset, now: context.nowMs }, compiled, context);
    if (seen.has(decision.key)) {
      duplicates++;
      return;
    }
    seen.add(decision.key);
    if (decision.suppressed) {
      suppressed.push({
        decision,
        queued: { ...queueFinding(decision), exceptions: suppressedBy(decision) },
      });
      return;
    }
    if (finding.fixedVersion === undefined) {
      withoutFix.push(queueFinding(decision));
      return;
    }
    const packageName = patchPackageName(finding);
    const key = `${asset.id}\u0000${finding.package.ecosystem}\u0000${packageName}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { asset, ecosystem: finding.package.ecosystem, packageName, decisions: [] };
      buckets.set(key, bucket);
    }
    bucket.decisions.push(decision);
  });

  const drafts = new Map<string, PatchDraft>();
  const addToDraft = (bucket: AssetBucket, fixedVersion: string, decisions: FindingDecision[]): void => {
    const id = `${bucket.ecosystem}/${bucket.packageName}@${fixedVersion}`;
    let draft = drafts.get(id);
    if (!draft) {
      draft = { ecosystem: bucket.ecosystem, packageName: bucket.packageName, fixedVersion, perAsset: [] };
      drafts.set(id, draft);
    }
    draft.perAsset.push({ asset: bucket.asset, decisions });
  };
  for (const bucket of buckets.values()) {
    const versions = bucket.decisions.map((d) => d.finding.fixedVersion as string);
    const sorted = sortedVersions(bucket.ecosystem, versions);
    if (sorted) {
      addToDraft(bucket, sorted[sorted.length - 1] as string, bucket.decisions);
    } else {
      for (const version of new Set(versions)) {
        addToDraft(
          bucket,
          version,
          bucket.decisions.filter((d) => d.finding.fixedVersion === version),
        );
      }
    }
  }

  const planner = new WindowPlanner(context);
  const items = [...drafts.entries()].map(([id, draft]) =>
    buildItem(id, draft, context, planner, input.publishedAt),
  );

  // Suppressed findings an item's upgrade closes anyway are counted on the item.
  const itemByAssetPackage = new Map<string, PatchQueueItem>();
  for (const item of items) {
    for (const plan of item.assets) {
      itemByAssetPackage.set(`${plan.assetId}\u0000${item.ecosystem}\u0000${item.packageName}`, item);
    }
  }
  for (const { decision, queued } of suppressed) {
    const { finding } = decision;
    const item = itemByAssetPackage.get(
      `${finding.assetId}\u0000${finding.package.ecosystem}\u0000${patchPackageName(finding)}`,
    );
    if (!item || finding.fixedVersion === undefined) continue;
    const order = sortedVersions(item.ecosystem, [finding.fixedVersion, item.fixedVersion]);
    if (order && order[order.length - 1] === item.fixedVersion) item.suppressed.push(queued);
  }
  for (const item of items) {
    if (item.suppressed.length > 0) {
      item.explanation.push(
        `${item.suppressed.length} suppressed finding(s) this upgrade also closes are excluded from its risk: ` +
          item.suppressed.map((s) => `${s.id} on ${s.assetId} (${s.exceptions.join(', ')})`).join(', '),
      );
    }
  }

  items.sort(
    (a, b) =>
      b.ratio - a.ratio ||
      (a.dueEpochMs ?? Infinity) - (b.dueEpochMs ?? Infinity) ||
      b.riskRemoved.total - a.riskRemoved.total ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

  const load = new Map<string, WindowLoad & { patchIds: Set<string>; assetIds: Set<string> }>();
  for (const item of items) {
    for (const plan of item.assets) {
      const slot = plan.slot;
      if (slot.mode !== 'window') continue;
      const key = `${slot.windowId}@${slot.windowStart}`;
      let entry = load.get(key);
      if (!entry) {
        entry = {
          windowId: slot.windowId as string,
          start: slot.windowStart as string,
          end: slot.windowEnd as string,
          patches: 0,
          jobs: 0,
          assets: 0,
          patchIds: new Set(),
          assetIds: new Set(),
        };
        load.set(key, entry);
      }
      entry.patchIds.add(item.id);
      entry.assetIds.add(plan.assetId);
      entry.jobs++;
    }
  }
  const windowLoad = [...load.values()]
    .map(({ patchIds, assetIds, ...rest }) => ({ ...rest, patches: patchIds.size, assets: assetIds.size }))
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.windowId < b.windowId ? -1 : 1));

  const queued = items.reduce((sum, item) => sum + item.findings.length, 0);
  const jobs = items.flatMap((item) => item.assets);
  const allOpen = [
    ...items.flatMap((item) => item.findings),
    ...withoutFix,
    ...suppressed.map((s) => s.queued),
  ];
  return {
    now: context.nowIso,
    items,
    suppressed: suppressed.map((s) => s.queued),
    withoutFix,
    windowLoad,
    summary: {
      findings: input.findings.length,
      open: queued + suppressed.length + withoutFix.length,
      closed,
      duplicates,
      queued,
      suppressed: suppressed.length,
      withoutFix: withoutFix.length,
      patches: items.length,
      assetJobs: jobs.length,
      predictedBreaches: jobs.filter((job) => job.predictedBreach).length,
      breachedNow: allOpen.filter((finding) => finding.sla === 'breached').length,
      emergencyPatches: items.filter((item) => item.emergencies.length > 0).length,
    },
  };
}

function publishedFor(
  decisions: readonly FindingDecision[],
  fixedVersion: string,
  publishedAt: PatchQueueInput['publishedAt'],
): string | undefined {
  if (!publishedAt) return undefined;
  let best: number | undefined;
  for (const { finding } of decisions) {
    for (const evidence of finding.evidence) {
      if (evidence.fixed !== fixedVersion) continue;
      const text = publishedAt(evidence.advisoryId);
      const ms = text === undefined ? NaN : Date.parse(text);
      if (Number.isFinite(ms) && (best === undefined || ms < best)) best = ms;
    }
  }
  return best === undefined ? undefined : isoOf(best);
}

function buildItem(
  id: string,
  draft: PatchDraft,
  context: PolicyContext,
  planner: WindowPlanner,
  publishedAt: PatchQueueInput['publishedAt'],
): PatchQueueItem {
  const compiled = context.policy;
  const all = draft.perAsset.flatMap((entry) => entry.decisions);
  const classification = compiled.classifier.classify(
    patchCandidateOf(
      draft.ecosystem,
      draft.packageName,
      draft.fixedVersion,
      all.map((d) => d.finding),
    ),
  );
  const binaryPackages = [...new Set(all.map((d) => d.finding.package.name))].sort();
  const contributions: RiskContribution[] = [];
  const plans: QueueAssetPlan[] = draft.perAsset.map(({ asset, decisions }) => {
    const findings = decisions.map((d) => d.finding);
    const ids = new Set<string>();
    for (const finding of findings) for (const vid of vulnerabilityIds(finding)) ids.add(vid);
    const firstSeen = isoOf(Math.min(...findings.map((f) => Date.parse(f.firstSeen))));
    const published = publishedFor(decisions, draft.fixedVersion, publishedAt);
    const emergencies = decisions
      .map((d) => d.emergency)
      .filter((e): e is EmergencyEffect => e !== undefined);
    const emergency = emergencies.sort((a, b) => a.deadlineEpochMs - b.deadlineEpochMs)[0];
    const approval = evaluateApproval(
      {
        patch: {
          ecosystem: draft.ecosystem,
          packageName: draft.packageName,
          binaryNames: [...new Set(findings.map((f) => f.package.name))],
          fixedVersion: draft.fixedVersion,
          ...(classification.type === null ? {} : { patchType: classification.type }),
          ...findingFacts(findings),
          riskLevel: highestRiskLevel(decisions.map((d) => d.risk.level)),
          asset,
          vulnerabilityIds: [...ids],
          firstSeen,
          ...(published === undefined ? {} : { publishedAt: published }),
        },
        now: context.nowMs,
        ...(emergency ? { emergency } : {}),
      },
      compiled,
      context,
    );
    const dueDecision = decisions
      .filter((d) => d.dueEpochMs !== undefined)
      .sort((a, b) => (a.dueEpochMs as number) - (b.dueEpochMs as number))[0];
    const dueMs = dueDecision?.dueEpochMs;
    const slot = planner.plan(asset, approval, dueMs, emergency);
    const predictedBreach =
      dueMs !== undefined && (slot.finishEpochMs === undefined || slot.finishEpochMs > dueMs);

    // One exposure per vulnerability on the asset, however many binary packages carry it.
    const byVulnerability = new Map<string, FindingDecision[]>();
    for (const decision of decisions) {
      const list = byVulnerability.get(decision.finding.id) ?? [];
      list.push(decision);
      byVulnerability.set(decision.finding.id, list);
    }
    for (const [vulnerability, group] of byVulnerability) {
      const top = group.reduce((a, b) => (b.risk.score > a.risk.score ? b : a));
      contributions.push({
        assetId: asset.id,
        vulnerability,
        findings: group.map((d) => d.key),
        score: top.risk.score,
        level: top.risk.level,
        factors: top.risk.factors,
        explanation:
          `${vulnerability} on ${asset.name}: risk ${top.risk.score} (${top.risk.level})` +
          (group.length > 1 ? `, carried by ${group.length} packages, counted once` : ''),
      });
    }

    const plan: QueueAssetPlan = {
      assetId: asset.id,
      assetName: asset.name,
      findings: decisions.map((d) => d.key),
      installed: [
        ...new Map(
          findings.map((f) => [
            `${f.package.name}@${f.package.version}`,
            { name: f.package.name, version: f.package.version },
          ]),
        ).values(),
      ],
      approval,
      slot,
      predictedBreach,
      explanation: '',
    };
    const parts = [approval.explanation, slot.reason];
    if (dueDecision && dueMs !== undefined) {
      plan.due = isoOf(dueMs);
      plan.dueEpochMs = dueMs;
      if (dueDecision.status) plan.sla = dueDecision.status;
      parts.unshift(`due ${plan.due} (${dueDecision.finding.id})`);
      if (predictedBreach) {
        parts.push(
          slot.finishEpochMs === undefined
            ? 'predicted SLA breach: not scheduled'
            : `predicted SLA breach: done by ${isoOf(slot.finishEpochMs)}, after the due date`,
        );
      }
    }
    if (emergency) plan.emergency = emergency;
    plan.explanation = parts.join('; ');
    return plan;
  });

  const total = round2(contributions.reduce((sum, c) => sum + c.score, 0));
  const disruption = estimateDisruption(
    [draft.packageName, ...binaryPackages],
    draft.perAsset.map((entry) => entry.asset),
    compiled.disruption,
  );
  const ratio = disruption.score > 0 ? round2(total / disruption.score) : total;
  const dueDecision = all
    .filter((d) => d.dueEpochMs !== undefined)
    .sort((a, b) => (a.dueEpochMs as number) - (b.dueEpochMs as number))[0];
  const emergencies = [...new Set(all.flatMap((d) => d.emergency?.ids ?? []))].sort();
  const groups = new Map<string, ApprovalGroup>();
  for (const plan of plans) {
    const { approval } = plan;
    const key = `${approval.baseline ?? ''}\u0000${approval.state}\u0000${approval.rule}`;
    const group = groups.get(key) ?? {
      ...(approval.baseline === undefined ? {} : { baseline: approval.baseline }),
      state: approval.state,
      rule: approval.rule,
      assetIds: [],
    };
    group.assetIds.push(plan.assetId);
    groups.set(key, group);
  }
  const states = new Set(plans.map((p) => p.approval.state));
  const approvalState: ApprovalState | 'mixed' =
    states.size === 1 ? (plans[0] as QueueAssetPlan).approval.state : 'mixed';
  const vulnerabilities = [...new Set(all.map((d) => d.finding.id))].sort();
  const predictedBreaches = plans.filter((p) => p.predictedBreach).length;

  const item: PatchQueueItem = {
    id,
    ecosystem: draft.ecosystem,
    packageName: draft.packageName,
    fixedVersion: draft.fixedVersion,
    binaryPackages,
    patchType: classification.type,
    classification,
    assets: plans,
    findings: all.map(queueFinding),
    vulnerabilities,
    suppressed: [],
    riskRemoved: { total, contributions },
    disruption,
    ratio,
    emergencies,
    approval: { state: approvalState, groups: [...groups.values()] },
    predictedBreaches,
    explanation: [],
  };
  if (dueDecision?.dueEpochMs !== undefined) {
    item.due = isoOf(dueDecision.dueEpochMs);
    item.dueEpochMs = dueDecision.dueEpochMs;
    item.dueFinding = dueDecision.key;
    if (dueDecision.status) item.sla = dueDecision.status;
  }
  item.explanation.push(
    `upgrade ${draft.packageName} to ${draft.fixedVersion} (${draft.ecosystem}): closes ${all.length} finding(s) of ${vulnerabilities.length} vulnerabilit${vulnerabilities.length === 1 ? 'y' : 'ies'} on ${plans.length} asset(s)`,
    `type ${classification.type ?? 'unknown'}: ${classification.explanation}`,
    `risk removed ${total}: the sum over ${contributions.length} (asset, vulnerability) pair(s) of their risk score`,
    `disruption ${disruption.explanation}`,
    `ratio ${ratio} risk removed per unit of disruption`,
    item.due === undefined ? 'no due date' : `due ${item.due} (${dueDecision?.explanation ?? ''})`,
    `approval ${approvalState}: ${[...groups.values()].map((g) => `${g.baseline ?? '(no baseline)'} ${g.state} by ${g.rule} on ${g.assetIds.length} asset(s)`).join('; ')}`,
  );
  if (emergencies.length > 0) item.explanation.push(`emergency ${emergencies.join(', ')} in force`);
  if (predictedBreaches > 0) {
    item.explanation.push(`predicted SLA breach on ${predictedBreaches} of ${plans.length} asset(s)`);
  }
  return item;
}
