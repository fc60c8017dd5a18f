import { ASSET_KINDS, DATA_SENSITIVITIES, EXPOSURES } from '@patchwarden/core';
import { z } from 'zod';

/** Shapes of the asset, finding and report routes; ids make them shared OpenAPI components. */
const timestamp = z.string().describe('RFC 3339 instant.');

export const assetStateSchema = z.enum(['unknown', 'stale', 'current']);

export const assetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    hostname: z.string().optional(),
    fqdn: z.string().optional(),
    ips: z.array(z.string()),
    macs: z.array(z.string()),
    os: z
      .object({
        id: z.string(),
        versionId: z.string().optional(),
        name: z.string().optional(),
        ecosystem: z.string().optional(),
      })
      .optional(),
    kernel: z.string().optional(),
    environment: z.string().optional(),
    businessImpact: z.number().int().optional(),
    exposure: z.string().optional(),
    dataSensitivity: z.string().optional(),
    ownerTeam: z.string().optional(),
    services: z.array(z.string()),
    location: z.string().optional(),
    timeZone: z.string().optional(),
    tags: z.array(z.string()),
    assetClasses: z.array(z.string()),
    sources: z.array(z.string()),
    firstSeen: timestamp.optional(),
    lastSeen: timestamp.optional(),
    inventoryAt: timestamp.optional(),
    rebootRequired: z.boolean().optional(),
    state: assetStateSchema,
  })
  .meta({ id: 'Asset', description: 'An asset with the freshness of what is known about it.' });

export const installedPackageSchema = z
  .object({
    ecosystem: z.string().optional(),
    name: z.string().min(1).max(512),
    version: z.string().min(1).max(512),
    sourceName: z.string().max(512).optional(),
    sourceVersion: z.string().max(512).optional(),
    arch: z.string().max(64).optional(),
    purl: z.string().max(2048).optional(),
    kind: z.enum(['os', 'language']),
    packageManager: z.string().min(1).max(32),
    location: z.object({ file: z.string().max(4096), line: z.number().int().optional() }).optional(),
  })
  .meta({ id: 'InstalledPackage' });

export const assetDetailSchema = assetSchema
  .extend({
    inventory: z.object({ receivedAt: timestamp, packages: z.number().int(), hash: z.string() }).optional(),
  })
  .meta({ id: 'AssetDetail' });

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** What a person may edit; `null` clears an attribute. */
export const assetPatchSchema = z
  .object({
    name: z.string().min(1).max(255).optional(),
    kind: z.enum(ASSET_KINDS).optional(),
    environment: nullable(z.string().min(1).max(100)),
    businessImpact: nullable(z.number().int().min(1).max(5)),
    exposure: nullable(z.enum(EXPOSURES)),
    dataSensitivity: nullable(z.enum(DATA_SENSITIVITIES)),
    ownerTeam: nullable(z.string().min(1).max(200)),
    services: nullable(z.array(z.string().min(1).max(200)).max(500)),
    location: nullable(z.string().min(1).max(200)),
    timeZone: nullable(z.string().min(1).max(100)),
    tags: nullable(z.array(z.string().min(1).max(200)).max(500)),
    assetClasses: nullable(z.array(z.string().min(1).max(100)).max(50)),
  })
  .strict()
  .meta({ id: 'AssetPatch' });

export const assetImportSchema = z
  .object({
    format: z.enum(['csv', 'json']),
    content: z.string().min(1),
    source: z.enum(['csv', 'json']).optional(),
  })
  .meta({ id: 'AssetImport' });

export const assetImportResultSchema = z
  .object({
    created: z.number().int(),
    merged: z.number().int(),
    assets: z.array(z.object({ id: z.string(), name: z.string(), rule: z.string() })),
  })
  .meta({ id: 'AssetImportResult' });

export const findingStatusSchema = z.enum(['open', 'fixed', 'risk-accepted', 'false-positive']);
export const severitySchema = z.enum(['critical', 'high', 'medium', 'low', 'negligible', 'unknown']);

const exceptionRefSchema = z.object({
  id: z.string(),
  kind: z.enum(['exception', 'deferral']),
  approver: z.string(),
  reason: z.string(),
  expiresAt: z.string(),
});

export const findingPolicyStateSchema = z
  .object({
    policyVersion: z.number().int(),
    suppressed: z.boolean(),
    exceptions: z.array(exceptionRefSchema),
    expiredExceptions: z.array(exceptionRefSchema),
    emergencies: z.array(z.string()),
    riskScore: z.number().optional(),
    riskLevel: z.string().optional(),
    due: z.string().optional(),
    slaStatus: z.enum(['on-track', 'due-soon', 'breached']).optional(),
    explanation: z.string(),
  })
  .meta({
    id: 'FindingPolicyState',
    description:
      'What the current policy says of an open finding: suppression, due date, SLA standing and why.',
  });

export const storedFindingSchema = z
  .looseObject({
    id: z.number().int(),
    assetId: z.string(),
    finding: z.looseObject({
      id: z.string(),
      severity: z.string(),
      package: z.looseObject({ name: z.string(), version: z.string() }),
    }),
    status: findingStatusSchema,
    statusBy: z.string().optional(),
    statusReason: z.string().optional(),
    statusAt: timestamp.optional(),
    firstSeen: timestamp,
    fixedAt: timestamp.optional(),
    updatedAt: timestamp,
    policy: findingPolicyStateSchema.optional(),
  })
  .meta({ id: 'Finding', description: 'A finding on one asset with its life cycle.' });

export const findingPatchSchema = z
  .object({
    status: z.enum(['open', 'risk-accepted', 'false-positive']),
    reason: z.string().min(1).max(2000),
  })
  .meta({ id: 'FindingPatch' });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
};

export type FindingBody = z.infer<typeof storedFindingSchema>;
