import { z } from 'zod';
import { installedPackageSchema } from '../assets/asset-schemas.ts';
import { UploadedInventoryText } from './inventory-text-body.ts';

/** The agent protocol of packages/core/src/agent-protocol as zod schemas (OpenAPI components). */
export const osReleaseSchema = z
  .object({
    id: z.string().min(1).max(100),
    versionId: z.string().max(100).optional(),
    versionCodename: z.string().max(100).optional(),
    name: z.string().max(200).optional(),
    prettyName: z.string().max(300).optional(),
    idLike: z.array(z.string().max(100)).max(20),
  })
  .meta({ id: 'OsRelease' });

export const agentFactsSchema = z
  .object({
    hostname: z.string().min(1).max(255),
    fqdn: z.string().max(255).optional(),
    ips: z.array(z.string().max(64)).max(256),
    macs: z.array(z.string().max(64)).max(256),
    os: osReleaseSchema,
    kernel: z.string().max(200),
    uptimeSeconds: z.number().nonnegative(),
    rebootRequired: z.boolean(),
    architecture: z.string().max(64),
    agentVersion: z.string().max(64),
  })
  .meta({ id: 'AgentFacts' });

const hash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');

export const agentEnrolRequestSchema = z
  .object({
    enrolmentSecret: z.string().min(1).max(200),
    hostname: z.string().min(1).max(255),
    facts: agentFactsSchema,
  })
  .meta({ id: 'AgentEnrolRequest' });

export const agentEnrolResponseSchema = z
  .object({
    agentId: z.string(),
    assetId: z.string(),
    credential: z.string(),
    checkinIntervalSeconds: z.number().int(),
  })
  .meta({ id: 'AgentEnrolResponse' });

export const agentCheckinRequestSchema = z
  .object({
    agentId: z.string().min(1).max(100),
    inventoryHash: hash,
    facts: agentFactsSchema,
    uptimeSeconds: z.number().nonnegative(),
    rebootRequired: z.boolean(),
    agentVersion: z.string().max(64),
  })
  .meta({ id: 'AgentCheckinRequest' });

export const agentCheckinResponseSchema = z
  .object({ needInventory: z.boolean(), checkinIntervalSeconds: z.number().int() })
  .meta({ id: 'AgentCheckinResponse' });

export const MAX_INVENTORY_PACKAGES = 200_000;

/** Bounded by the route's body limit too; this says it in the schema. */
export const MAX_INVENTORY_TEXT_LENGTH = 64 * 1024 * 1024;

export const agentInventoryRequestSchema = z
  .object({
    agentId: z.string().min(1).max(100),
    inventoryHash: hash,
    facts: agentFactsSchema,
    os: osReleaseSchema.optional(),
    packages: z.array(installedPackageSchema).max(MAX_INVENTORY_PACKAGES).optional(),
    inventory: z
      .string()
      .max(MAX_INVENTORY_TEXT_LENGTH)
      .optional()
      .meta({
        description:
          'The packages as the canonical inventory text (the compact form; instead of os and packages): ' +
          'header `patchwarden-inventory/1`, the OS line, then one JSON array per package in code-unit order. ' +
          'Its SHA-256 is inventoryHash.',
      }),
    collectedAt: z.iso.datetime({ offset: true }),
  })
  .superRefine((body, ctx) => {
    const objects = body.os !== undefined || body.packages !== undefined;
    if (body.inventory !== undefined && objects) {
      ctx.addIssue({
        code: 'custom',
        path: ['inventory'],
        message: 'send either inventory or os and packages, not both',
      });
    } else if (body.inventory === undefined && (body.os === undefined || body.packages === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [body.os === undefined ? 'os' : 'packages'],
        message: 'required (or send the canonical text as inventory)',
      });
    }
  })
  .meta({ id: 'AgentInventoryRequest' });

/**
 * An upload in INVENTORY_TEXT_MEDIA_TYPE after its body parser (inventory-text-body.ts): line 1's
 * envelope plus `text`, which only that parser can produce. In the OpenAPI document this media
 * type's body is described as text (see openapi.ts).
 */
export const agentInventoryTextRequestSchema = z.object({
  agentId: z.string().min(1).max(100),
  inventoryHash: hash,
  facts: agentFactsSchema,
  collectedAt: z.iso.datetime({ offset: true }),
  text: z.custom<UploadedInventoryText>((value) => value instanceof UploadedInventoryText, {
    message: 'the canonical inventory text follows line 1 of the body',
  }),
});

export const agentInventoryResponseSchema = z
  .object({ accepted: z.literal(true), packages: z.number().int() })
  .meta({ id: 'AgentInventoryResponse' });
