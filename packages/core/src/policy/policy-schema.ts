/**
 * The shape of a patch policy document (`apiVersion: patchwarden/v1`, `kind: PatchPolicy`), as a
 * zod 4 schema. Shape only: every object is strict (an unknown key is an error, so that a typo
 * never silently drops a rule) and every number carries its range. What a shape cannot say
 * (a window an assignment names exists, an exception expires after it was created, asset
 * filters and globs parse) is checked by compile-policy.ts, which names the same field paths.
 *
 * The types below are inferred from the schema, so the document and its validation cannot drift.
 */
import { z } from 'zod';
import { ASSET_CLASSES } from '../assets/asset-import.ts';
import { PATCH_TYPES } from '../patches/patch-type.ts';
import { CADENCES } from '../schedule/patch-schedule.ts';

export const POLICY_API_VERSION = 'patchwarden/v1';
export const POLICY_KIND = 'PatchPolicy';

/** SSM patch baselines allow 0-360 days; so do we. */
export const MAX_AUTO_APPROVE_DAYS = 360;
/** Ten years: a longer SLA is a typo, not a policy. */
export const MAX_SLA_DAYS = 3650;
/** Ninety days: an emergency with a longer deadline is not an emergency. */
export const MAX_EMERGENCY_HOURS = 90 * 24;

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
const RISK_LEVELS = ['critical', 'high', 'medium', 'low', 'none'] as const;

const name = z.string().trim().min(1, 'must be a non-empty string');
const text = z.string().trim().min(1, 'must be a non-empty string');
const instant = z.iso.datetime({
  offset: true,
  error: 'must be an RFC 3339 date-time with an offset (2026-01-15T00:00:00Z)',
});
const localDate = z.iso.date({ error: 'must be a calendar date YYYY-MM-DD' });
/** Asset filter text (assets/asset-filter.ts); parsed by compile-policy.ts. An empty filter selects every asset. */
const assetFilter = z.string();
const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must list at least one value');

/**
 * Conditions shared by baseline rules and SLA rules. All given conditions must hold; none given
 * always holds. Patch-level facts (type, severity, KEV, EPSS) are taken over the findings the
 * patch closes on the asset being evaluated.
 */
export const conditionsSchema = z.strictObject({
  /** The patch's type (patches/classify-patch.ts): any of these. */
  patchTypes: nonEmptyList(z.enum(PATCH_TYPES)).optional(),
  /** The highest severity among the findings is at least this. */
  severityAtLeast: z.enum(SEVERITIES).optional(),
  /** The highest risk level (risk/risk-score.ts) among the findings on the asset is at least this. */
  riskLevelAtLeast: z.enum(RISK_LEVELS).optional(),
  /** true: some finding is in CISA KEV; false: none is. */
  kev: z.boolean().optional(),
  /** The highest EPSS probability among the findings is at least this (a finding without EPSS never is). */
  epssAtLeast: z.number().min(0).max(1).optional(),
  /** Ecosystems, exactly (`AlmaLinux:9`) or by base (`AlmaLinux`). */
  ecosystems: nonEmptyList(name).optional(),
  /** Package globs (`*` wildcard, case-insensitive) on the package upgraded (the source package for OS packages) or any binary package it ships. */
  packages: nonEmptyList(name).optional(),
  /** Asset filter the asset must match. */
  assets: assetFilter.optional(),
});

export const approvalRuleSchema = z.strictObject({
  name,
  description: z.string().optional(),
  match: conditionsSchema.optional(),
  /**
   * Days after the fix was published (or first seen, when the publication date is unknown)
   * before the patch is approved without a person. Absent: the rule needs a person's approval.
   */
  autoApproveAfterDays: z.number().int().min(0).max(MAX_AUTO_APPROVE_DAYS).optional(),
});

export const baselineSchema = z.strictObject({
  name,
  description: z.string().optional(),
  /** The asset group this baseline governs; an asset belongs to the first baseline whose filter it matches. */
  assets: assetFilter.optional(),
  /** Evaluated in order: the first rule that matches decides. */
  rules: z.array(approvalRuleSchema),
  /**
   * Patches approved by a person: a vulnerability id (CVE, GHSA, ALSA... or an alias) the patch
   * closes, or `package`, `package@version`, `ecosystem/package@version` with `*` globs.
   */
  approvedPatches: z.array(name).optional(),
  /** Patches refused, written as in `approvedPatches`. A rejection wins over an approval. */
  rejectedPatches: z.array(name).optional(),
});

export const slaRuleSchema = z.strictObject({
  name,
  description: z.string().optional(),
  when: conditionsSchema.optional(),
  /** Days from the finding's first sighting on the asset. */
  days: z.number().gt(0, 'must be more than 0 days').max(MAX_SLA_DAYS).optional(),
  /** Due no later than CISA's KEV due date (end of that day, UTC) for findings in KEV. */
  kevDueDate: z.boolean().optional(),
});

export const schedulesSchema = z.strictObject({
  /** Routine patch cadence per asset class, over DEFAULT_SCHEDULES. */
  cadences: z.partialRecord(z.enum(ASSET_CLASSES as [string, ...string[]]), z.enum(CADENCES)).optional(),
  /** When the schedule takes effect; weekly cycles are counted from it. Default 2000-01-03 (a Monday). */
  anchorDate: localDate.optional(),
});

const recurrenceSchema = z.union(
  [
    z.strictObject({ rrule: z.string() }),
    z.strictObject({ cron: z.string() }),
    z.strictObject({
      patchTuesday: z.strictObject({ offsetDays: z.number().int(), startTime: z.string() }),
    }),
  ],
  { error: 'must be exactly one of rrule, cron or patchTuesday: { offsetDays, startTime }' },
);

/** schedule/maintenance-window.ts's MaintenanceWindowSpec; its own validation runs afterwards. */
export const windowSchema = z.strictObject({
  id: name,
  name: z.string().optional(),
  timeZone: z.string(),
  recurrence: recurrenceSchema,
  durationMinutes: z.number(),
  blackoutDates: z.array(z.string()).optional(),
  validFrom: z.string().optional(),
  validUntil: z.string().optional(),
});

export const windowAssignmentSchema = z.strictObject({
  /** Assets this assignment covers; the first assignment an asset matches gives its windows. */
  assets: assetFilter,
  /** Window ids; work goes to whichever opens first. */
  windows: nonEmptyList(name),
});

export const exceptionSchema = z.strictObject({
  id: name,
  /** `exception`: a risk accepted with a compensating control; `deferral`: patching postponed. */
  kind: z.enum(['exception', 'deferral']).optional(),
  scope: z.strictObject({
    assets: assetFilter.optional(),
    /** Package globs, as in conditions. */
    packages: nonEmptyList(name).optional(),
    /** Vulnerability ids (CVE or any alias). */
    vulnerabilities: nonEmptyList(name).optional(),
  }),
  reason: text,
  compensatingControl: text.optional(),
  approver: text,
  createdAt: instant,
  expiresAt: instant,
  /** Times it was renewed so far. */
  renewals: z.number().int().min(0).optional(),
  /** Renewals allowed; default 2. */
  maxRenewals: z.number().int().min(0).max(12).optional(),
});

export const emergencySchema = z.strictObject({
  id: name,
  /** The vulnerability (its CVE or any alias of it) ... */
  cve: name.optional(),
  /** ... or the patch: one package, optionally one ecosystem and the version that must be reached. */
  patch: z
    .strictObject({
      ecosystem: name.optional(),
      package: name,
      fixedVersion: name.optional(),
    })
    .optional(),
  declaredAt: instant,
  declaredBy: text.optional(),
  /** Hours after `declaredAt` by which every matching finding must be fixed. */
  deadlineHours: z.number().gt(0, 'must be more than 0 hours').max(MAX_EMERGENCY_HOURS),
  /** true: patch at once, outside maintenance windows; false: in the first window, however late. */
  overrideWindows: z.boolean(),
  reason: text,
  /** When the emergency was called off; absent: in force from `declaredAt` on. */
  liftedAt: instant.optional(),
});

export const classificationRuleSchema = z.strictObject({
  id: name,
  description: z.string(),
  when: z.strictObject({
    advisoryIdPattern: z.string().optional(),
    summaryPattern: z.string().optional(),
    ecosystem: z.string().optional(),
    packagePattern: z.string().optional(),
    hasCve: z.boolean().optional(),
    severityAtLeast: z.enum(SEVERITIES).optional(),
  }),
  type: z.enum(PATCH_TYPES),
});

export const disruptionSchema = z.strictObject({
  /** Cost of touching one asset. Default 1. */
  perAsset: z.number().gt(0).max(1000).optional(),
  /** Multiplier when the package usually needs a reboot. Default 3. */
  rebootMultiplier: z.number().min(1).max(100).optional(),
  /** Multiplier for an asset in a production environment. Default 2. */
  productionMultiplier: z.number().min(1).max(100).optional(),
  /** `environment` values that count as production. Default production, prod. */
  productionEnvironments: nonEmptyList(name).optional(),
  /** Package globs that usually need a reboot (kernel, libc, systemd, openssl...); replaces the defaults. */
  rebootPackages: nonEmptyList(name).optional(),
});

const plainObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  { error: 'must be a mapping' },
);

export const policySpecSchema = z.strictObject({
  /** Overrides of risk/risk-weights.ts's defaults, validated by riskWeightsWith. */
  riskWeights: plainObject.optional(),
  baselines: z.array(baselineSchema),
  /** Every rule that holds applies; the earliest due date wins. */
  slas: z.array(slaRuleSchema),
  /** A due date this close (or closer) is `due-soon`. Default 3 days. */
  dueSoonDays: z.number().min(0).max(90).optional(),
  schedules: schedulesSchema.optional(),
  windows: z.array(windowSchema),
  windowAssignments: z.array(windowAssignmentSchema).optional(),
  exceptions: z.array(exceptionSchema),
  emergencies: z.array(emergencySchema),
  classificationRules: z.array(classificationRuleSchema).optional(),
  disruption: disruptionSchema.optional(),
});

export const policyDocumentSchema = z.strictObject({
  apiVersion: z.literal(POLICY_API_VERSION, { error: `must be ${POLICY_API_VERSION}` }),
  kind: z.literal(POLICY_KIND, { error: `must be ${POLICY_KIND}` }),
  metadata: z.strictObject({
    name,
    description: z.string().optional(),
    /** Incremented by the store on every saved change. */
    revision: z.number().int().min(1).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: policySpecSchema,
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicySpec = PolicyDocument['spec'];
export type PolicyConditions = z.infer<typeof conditionsSchema>;
export type ApprovalRuleSpec = z.infer<typeof approvalRuleSchema>;
export type BaselineSpec = z.infer<typeof baselineSchema>;
export type SlaRuleSpec = z.infer<typeof slaRuleSchema>;
export type SchedulesSpec = z.infer<typeof schedulesSchema>;
export type WindowAssignmentSpec = z.infer<typeof windowAssignmentSchema>;
export type ExceptionSpec = z.infer<typeof exceptionSchema>;
export type EmergencySpec = z.infer<typeof emergencySchema>;
export type DisruptionSpec = z.infer<typeof disruptionSchema>;
