/**
 * What-if: the patch queue under the current policy and under a proposed one, on the same
 * findings, assets and instant, compared before anything is saved: due dates, the windows
 * patches land in, the load on each window occurrence and the SLA breaches predicted.
 */
import type { CompiledPolicy } from './compile-policy.ts';
import { buildPatchQueue } from './patch-queue.ts';
import type {
  PatchQueue,
  PatchQueueInput,
  PatchQueueItem,
  PlannedSlot,
  QueueAssetPlan,
} from './patch-queue.ts';
import type { PolicyDocument } from './policy-schema.ts';

export type WhatIfInput = Omit<PatchQueueInput, 'policy'>;

export interface PlanSnapshot {
  due?: string;
  /** `window <id> <start>`, `anytime`, `emergency-override` or `unscheduled`. */
  slot: string;
  plannedAt?: string;
  approval: string;
  predictedBreach: boolean;
}

export interface AssetChange {
  assetId: string;
  before?: PlanSnapshot;
  after?: PlanSnapshot;
}

export interface PatchChange {
  id: string;
  presence: 'both' | 'only-before' | 'only-after';
  dueBefore?: string;
  dueAfter?: string;
  /** Hours the due date moved (negative: earlier). */
  dueShiftHours?: number;
  /** The slot of the asset planned first. */
  windowBefore?: string;
  windowAfter?: string;
  breachesBefore: number;
  breachesAfter: number;
  /** Assets whose due date, slot, approval or breach prediction changed. */
  assets: AssetChange[];
}

export interface WindowLoadChange {
  windowId: string;
  start: string;
  end: string;
  patchesBefore: number;
  patchesAfter: number;
  jobsBefore: number;
  jobsAfter: number;
}

export interface BreachRef {
  patchId: string;
  assetId: string;
  due: string;
  slot: string;
}

export interface WhatIfResult {
  before: PatchQueue;
  after: PatchQueue;
  patches: PatchChange[];
  windowLoad: WindowLoadChange[];
  breaches: { before: BreachRef[]; after: BreachRef[]; added: BreachRef[]; resolved: BreachRef[] };
  summary: {
    patchesBefore: number;
    patchesAfter: number;
    dueEarlier: number;
    dueLater: number;
    dueUnchanged: number;
    windowChanged: number;
    predictedBreachesBefore: number;
    predictedBreachesAfter: number;
    breachesAdded: number;
    breachesResolved: number;
    suppressedBefore: number;
    suppressedAfter: number;
    busiestWindowBefore?: WindowLoadChange;
    busiestWindowAfter?: WindowLoadChange;
  };
}

function slotLabel(slot: PlannedSlot): string {
  return slot.mode === 'window' ? `window ${slot.windowId} ${slot.windowStart}` : slot.mode;
}

function snapshot(plan: QueueAssetPlan): PlanSnapshot {
  return {
    ...(plan.due === undefined ? {} : { due: plan.due }),
    slot: slotLabel(plan.slot),
    ...(plan.slot.plannedAt === undefined ? {} : { plannedAt: plan.slot.plannedAt }),
    approval: `${plan.approval.state} (${plan.approval.rule})`,
    predictedBreach: plan.predictedBreach,
  };
}

function firstPlanned(item: PatchQueueItem): string | undefined {
  const planned = item.assets
    .filter((a) => a.slot.plannedEpochMs !== undefined)
    .sort((a, b) => (a.slot.plannedEpochMs as number) - (b.slot.plannedEpochMs as number))[0];
  return planned ? slotLabel(planned.slot) : item.assets[0] ? slotLabel(item.assets[0].slot) : undefined;
}

function breachesOf(queue: PatchQueue): BreachRef[] {
  return queue.items.flatMap((item) =>
    item.assets
      .filter((plan) => plan.predictedBreach)
      .map((plan) => ({
        patchId: item.id,
        assetId: plan.assetId,
        due: plan.due as string,
        slot: slotLabel(plan.slot),
      })),
  );
}

const sameSnapshot = (a?: PlanSnapshot, b?: PlanSnapshot): boolean => JSON.stringify(a) === JSON.stringify(b);

export function simulatePolicyChange(
  input: WhatIfInput,
  currentPolicy: PolicyDocument | CompiledPolicy,
  proposedPolicy: PolicyDocument | CompiledPolicy,
): WhatIfResult {
  const before = buildPatchQueue({ ...input, policy: currentPolicy });
  const after = buildPatchQueue({ ...input, policy: proposedPolicy });
  const beforeItems = new Map(before.items.map((item) => [item.id, item]));
  const afterItems = new Map(after.items.map((item) => [item.id, item]));
  const ids = [...new Set([...after.items.map((i) => i.id), ...before.items.map((i) => i.id)])];

  const patches = ids.map((id): PatchChange => {
    const b = beforeItems.get(id);
    const a = afterItems.get(id);
    const change: PatchChange = {
      id,
      presence: b && a ? 'both' : b ? 'only-before' : 'only-after',
      breachesBefore: b?.predictedBreaches ?? 0,
      breachesAfter: a?.predictedBreaches ?? 0,
      assets: [],
    };
    if (b?.due !== undefined) change.dueBefore = b.due;
    if (a?.due !== undefined) change.dueAfter = a.due;
    if (b?.dueEpochMs !== undefined && a?.dueEpochMs !== undefined) {
      change.dueShiftHours = Math.round(((a.dueEpochMs - b.dueEpochMs) / 3_600_000) * 100) / 100;
    }
    const wb = b ? firstPlanned(b) : undefined;
    const wa = a ? firstPlanned(a) : undefined;
    if (wb !== undefined) change.windowBefore = wb;
    if (wa !== undefined) change.windowAfter = wa;
    const plansBefore = new Map((b?.assets ?? []).map((p) => [p.assetId, snapshot(p)]));
    const plansAfter = new Map((a?.assets ?? []).map((p) => [p.assetId, snapshot(p)]));
    for (const assetId of new Set([...plansBefore.keys(), ...plansAfter.keys()])) {
      const pb = plansBefore.get(assetId);
      const pa = plansAfter.get(assetId);
      if (sameSnapshot(pb, pa)) continue;
      change.assets.push({ assetId, ...(pb ? { before: pb } : {}), ...(pa ? { after: pa } : {}) });
    }
    return change;
  });

  const loads = new Map<string, WindowLoadChange>();
  const loadEntry = (w: { windowId: string; start: string; end: string }): WindowLoadChange => {
    const key = `${w.windowId}@${w.start}`;
    let entry = loads.get(key);
    if (!entry) {
      entry = {
        windowId: w.windowId,
        start: w.start,
        end: w.end,
        patchesBefore: 0,
        patchesAfter: 0,
        jobsBefore: 0,
        jobsAfter: 0,
      };
      loads.set(key, entry);
    }
    return entry;
  };
  for (const w of before.windowLoad)
    Object.assign(loadEntry(w), { patchesBefore: w.patches, jobsBefore: w.jobs });
  for (const w of after.windowLoad)
    Object.assign(loadEntry(w), { patchesAfter: w.patches, jobsAfter: w.jobs });
  const windowLoad = [...loads.values()].sort(
    (x, y) => Date.parse(x.start) - Date.parse(y.start) || (x.windowId < y.windowId ? -1 : 1),
  );

  const breachesBefore = breachesOf(before);
  const breachesAfter = breachesOf(after);
  const key = (r: BreachRef): string => `${r.patchId}\u0000${r.assetId}`;
  const beforeKeys = new Set(breachesBefore.map(key));
  const afterKeys = new Set(breachesAfter.map(key));
  const added = breachesAfter.filter((r) => !beforeKeys.has(key(r)));
  const resolved = breachesBefore.filter((r) => !afterKeys.has(key(r)));

  const both = patches.filter((p) => p.dueShiftHours !== undefined);
  const busiest = (pick: (w: WindowLoadChange) => number): WindowLoadChange | undefined =>
    windowLoad.reduce<WindowLoadChange | undefined>(
      (top, w) => (pick(w) > 0 && (top === undefined || pick(w) > pick(top)) ? w : top),
      undefined,
    );
  const busiestBefore = busiest((w) => w.jobsBefore);
  const busiestAfter = busiest((w) => w.jobsAfter);
  return {
    before,
    after,
    patches,
    windowLoad,
    breaches: { before: breachesBefore, after: breachesAfter, added, resolved },
    summary: {
      patchesBefore: before.items.length,
      patchesAfter: after.items.length,
      dueEarlier: both.filter((p) => (p.dueShiftHours as number) < 0).length,
      dueLater: both.filter((p) => (p.dueShiftHours as number) > 0).length,
      dueUnchanged: both.filter((p) => p.dueShiftHours === 0).length,
      windowChanged: patches.filter((p) => p.presence === 'both' && p.windowBefore !== p.windowAfter).length,
      predictedBreachesBefore: breachesBefore.length,
      predictedBreachesAfter: breachesAfter.length,
      breachesAdded: added.length,
      breachesResolved: resolved.length,
      suppressedBefore: before.summary.suppressed,
      suppressedAfter: after.summary.suppressed,
      ...(busiestBefore ? { busiestWindowBefore: busiestBefore } : {}),
      ...(busiestAfter ? { busiestWindowAfter: busiestAfter } : {}),
    },
  };
}
