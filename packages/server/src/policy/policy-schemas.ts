import { z } from 'zod';

/** RFC 3339 instant with an offset, as the policy engine takes it. */
export const instantSchema = z.iso.datetime({ offset: true });

/** A policy as the body of PUT /policy and POST /policy/what-if: YAML text, or JSON carrying it. */
export const policyBodySchema = z.union([
  z.string().min(1).describe('The policy as YAML (content-type text/yaml)'),
  z.object({
    yaml: z.string().min(1),
    comment: z.string().max(2000).optional(),
    file: z.string().max(500).optional().describe('A name for the text, used in error messages'),
  }),
]);

/** The policy document is checked by the core (parsePolicyYaml); the answer is passed through. */
export const policyDocumentSchema = z
  .looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string() }) })
  .meta({ id: 'PolicyDocument' });

export const policyVersionSummarySchema = z
  .object({
    version: z.number().int(),
    name: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    comment: z.string().optional(),
  })
  .meta({ id: 'PolicyVersionSummary' });

export const policyVersionSchema = z
  .object({
    version: z.number().int(),
    yaml: z.string(),
    document: policyDocumentSchema,
    createdAt: z.string().optional(),
    createdBy: z.string().optional(),
    comment: z.string().optional(),
    default: z.boolean().optional(),
  })
  .meta({ id: 'PolicyVersion' });

export const formatQuery = z.object({ format: z.enum(['json', 'yaml']).default('json') });

export const queueQuery = z.object({
  filter: z.string().max(2000).optional().describe('Asset filter (the asset filter language)'),
  at: instantSchema.optional().describe('Compute the queue as of this instant (default: now)'),
});

/** GET /queue pages its ranked patches (and its suppressed and without-fix lists) alike. */
export const queuePageQuery = queueQuery.extend({
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('Patches per page (default 100)'),
  offset: z.coerce.number().int().min(0).optional().describe('Rank of the first patch on the page, from 0'),
});

const queueItemSchema = z.looseObject({
  id: z.string(),
  ecosystem: z.string(),
  packageName: z.string(),
  fixedVersion: z.string(),
  due: z.string().optional(),
  sla: z.string().optional(),
  emergencies: z.array(z.string()),
  approval: z.looseObject({ state: z.string() }),
  riskRemoved: z.looseObject({ total: z.number() }),
  assets: z.array(
    z.looseObject({ assetId: z.string(), assetName: z.string(), slot: z.looseObject({ mode: z.string() }) }),
  ),
  explanation: z.array(z.string()),
});

export const patchQueueSchema = z
  .looseObject({
    now: z.string(),
    policyVersion: z.number().int().optional(),
    items: z.array(queueItemSchema),
    suppressed: z.array(z.looseObject({ id: z.string(), assetId: z.string() })),
    withoutFix: z.array(z.looseObject({ id: z.string(), assetId: z.string() })),
    windowLoad: z.array(z.looseObject({ windowId: z.string() })),
    summary: z.looseObject({ patches: z.number(), open: z.number() }),
    page: z
      .object({
        offset: z.number().int(),
        limit: z.number().int(),
        total: z.number().int(),
        suppressedTotal: z.number().int(),
        withoutFixTotal: z.number().int(),
        nextOffset: z.number().int().optional(),
      })
      .optional(),
  })
  .meta({ id: 'PatchQueue' });

export const whatIfSchema = z
  .looseObject({
    policyVersion: z.number().int(),
    patches: z.array(z.looseObject({ id: z.string(), presence: z.string() })),
    windowLoad: z.array(z.looseObject({ windowId: z.string() })),
    breaches: z.looseObject({ added: z.array(z.unknown()), resolved: z.array(z.unknown()) }),
    summary: z.looseObject({ patchesBefore: z.number(), patchesAfter: z.number() }),
  })
  .meta({ id: 'PolicyWhatIf' });

export const typeOverrideBodySchema = z.object({
  ecosystem: z.string().min(1).max(200),
  package: z.string().min(1).max(500),
  fixedVersion: z.string().min(1).max(500),
  type: z.enum([
    'security',
    'bugfix',
    'feature',
    'compatibility',
    'performance',
    'regulatory',
    'localization',
  ]),
  reason: z.string().min(1).max(2000),
});

export const typeOverrideSchema = typeOverrideBodySchema
  .extend({ by: z.string(), at: z.string() })
  .meta({ id: 'PatchTypeOverride' });

const exceptionRef = {
  id: z.string().min(1).max(200),
  kind: z.enum(['exception', 'deferral']).optional(),
  scope: z.object({
    assets: z.string().max(2000).optional(),
    packages: z.array(z.string().min(1).max(200)).min(1).optional(),
    vulnerabilities: z.array(z.string().min(1).max(200)).min(1).optional(),
  }),
  reason: z.string().min(1).max(2000),
  compensatingControl: z.string().min(1).max(2000).optional(),
  expiresAt: instantSchema,
  maxRenewals: z.number().int().min(0).max(12).optional(),
};

/** A new exception or deferral; the approver is the caller and it starts now unless `createdAt` says. */
export const newExceptionSchema = z
  .object({ ...exceptionRef, createdAt: instantSchema.optional() })
  .meta({ id: 'NewPolicyException' });

export const exceptionRenewalSchema = z
  .object({ expiresAt: instantSchema, comment: z.string().max(2000).optional() })
  .meta({ id: 'PolicyExceptionRenewal' });

export const policyExceptionSchema = z
  .looseObject({
    ...exceptionRef,
    approver: z.string(),
    createdAt: z.string(),
    renewals: z.number().int().optional(),
    state: z.enum(['active', 'expired', 'upcoming']),
    daysLeft: z.number().int(),
  })
  .meta({ id: 'PolicyException' });

/** An emergency being declared; the caller is `declaredBy` and it starts now unless `declaredAt` says. */
export const newEmergencySchema = z
  .object({
    id: z.string().min(1).max(200),
    cve: z.string().min(1).max(200).optional(),
    patch: z
      .object({
        ecosystem: z.string().min(1).max(200).optional(),
        package: z.string().min(1).max(500),
        fixedVersion: z.string().min(1).max(500).optional(),
      })
      .optional(),
    declaredAt: instantSchema.optional(),
    deadlineHours: z.number().gt(0),
    overrideWindows: z.boolean(),
    reason: z.string().min(1).max(2000),
  })
  .meta({ id: 'NewPolicyEmergency' });

export const emergencyLiftSchema = z
  .object({ liftedAt: instantSchema.optional(), comment: z.string().max(2000).optional() })
  .meta({ id: 'PolicyEmergencyLift' });

export const policyEmergencySchema = z
  .looseObject({
    id: z.string(),
    declaredAt: z.string(),
    deadlineHours: z.number(),
    overrideWindows: z.boolean(),
    reason: z.string(),
    state: z.enum(['in-force', 'lifted', 'upcoming']),
    deadline: z.string(),
  })
  .meta({ id: 'PolicyEmergency' });
