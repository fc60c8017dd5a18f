import { createHash } from 'node:crypto';
import {
  AGENT_PROTOCOL_PATHS,
  canonicalInventoryOfLines,
  canonicalInventoryText,
  INVENTORY_TEXT_MEDIA_TYPE,
  osEcosystem,
  pwError,
  splitCanonicalInventory,
} from '@patchwarden/core';
import type { AgentFacts, Asset, AssetFacts, InstalledPackage, OsRelease } from '@patchwarden/core';
import { canonicalSet, InventoryLineCache, isSecretOf, LastSeenBatcher } from '@patchwarden/store';
import type { CanonicalSet } from '@patchwarden/store';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { agentAuth } from '../auth/agent-auth.ts';
import type { AgentPrincipal } from '../auth/request-principal.ts';
import type { PlatformContext } from '../assets/platform-context.ts';
import {
  agentCheckinRequestSchema,
  agentCheckinResponseSchema,
  agentEnrolRequestSchema,
  agentEnrolResponseSchema,
  agentInventoryRequestSchema,
  agentInventoryResponseSchema,
  agentInventoryTextRequestSchema,
} from './agent-schemas.ts';
import type { BodyMediaType } from '../openapi/openapi.ts';
import { INVENTORY_TEXT_BODY_DOCUMENTATION, installInventoryTextParser } from './inventory-text-body.ts';

export interface AgentRouteOptions {
  /** What enrolled agents are told; they may be configured to override it. */
  checkinIntervalSeconds?: number;
  /** Largest inventory upload (default 8 MiB: a 1,500-package host sends 200-300 KiB). */
  inventoryBodyLimitBytes?: number;
  /** Requests per agent (per address for enrolment) and minute. */
  rateLimitPerMinute?: number;
}

type UploadBody = z.infer<typeof agentInventoryRequestSchema>;
type TextUploadBody = z.infer<typeof agentInventoryTextRequestSchema>;

export const DEFAULT_CHECKIN_INTERVAL_SECONDS = 300;
export const DEFAULT_INVENTORY_BODY_LIMIT = 8 * 1024 * 1024;

function agentOf(request: FastifyRequest): AgentPrincipal {
  if (!request.agent) throw pwError('PW_ERR_UNAUTHENTICATED', 'The agent credential is missing');
  return request.agent;
}

/** The credential decides whose asset is written; an agentId naming another agent is refused. */
function requireOwnAgent(request: FastifyRequest, agentId: string): AgentPrincipal {
  const agent = agentOf(request);
  if (agent.agentId !== agentId) {
    throw pwError('PW_ERR_FORBIDDEN', 'This credential belongs to another agent', {
      field: 'agentId',
      reason: 'agent_mismatch',
    });
  }
  return agent;
}

/** Budgets are per credential so that one noisy host cannot starve the others behind one NAT. */
function agentKey(request: FastifyRequest): string {
  const header = request.headers.authorization;
  return header ? `agent:${createHash('sha256').update(header).digest('hex')}` : `ip:${request.ip}`;
}

export function assetFactsOf(facts: AgentFacts, os: OsRelease = facts.os): AssetFacts {
  const ecosystem = osEcosystem(os);
  return {
    hostname: facts.hostname,
    ...(facts.fqdn ? { fqdn: facts.fqdn } : {}),
    ips: facts.ips,
    macs: facts.macs,
    os: {
      id: os.id,
      ...(os.versionId ? { versionId: os.versionId } : {}),
      ...(os.prettyName ? { name: os.prettyName } : {}),
      ...(ecosystem ? { ecosystem } : {}),
    },
    kernel: facts.kernel,
    rebootRequired: facts.rebootRequired,
  };
}

function sortedEqual(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = [...(a ?? [])].sort();
  const right = [...(b ?? [])].sort();
  return left.length === right.length && left.every((value, i) => value === right[i]);
}

/** Whether a heartbeat's facts are what the asset already records (no merge needed). */
export function sameObservedFacts(asset: Asset, facts: AssetFacts): boolean {
  return (
    asset.hostname === facts.hostname &&
    asset.fqdn === facts.fqdn &&
    sortedEqual(asset.ips, facts.ips) &&
    sortedEqual(asset.macs, facts.macs) &&
    asset.os?.id === facts.os?.id &&
    asset.os?.versionId === facts.os?.versionId &&
    asset.os?.ecosystem === facts.os?.ecosystem &&
    asset.os?.name === facts.os?.name &&
    asset.kernel === facts.kernel &&
    asset.rebootRequired === facts.rebootRequired
  );
}

export function serverInventoryHash(os: OsRelease, packages: readonly InstalledPackage[]): string {
  return hashOfText(canonicalInventoryText(os, packages));
}

function hashOfText(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

function requireHash(sent: string, computed: string): void {
  if (computed !== sent) {
    throw pwError('PW_ERR_INVALID_RECORD', 'inventoryHash does not match the uploaded inventory', {
      field: 'inventoryHash',
      expected: computed,
    });
  }
}

/**
 * OS packages arrive without an ecosystem: the host's os-release says which distro release they
 * match in. Sets it in place: the packages are this request's own parsed body (after the hash
 * check, which covers them as sent), and copying 1,500 objects per upload showed in profiles.
 */
function addOsEcosystem(os: OsRelease, packages: InstalledPackage[]): InstalledPackage[] {
  const ecosystem = osEcosystem(os);
  if (!ecosystem) return packages;
  for (const p of packages) if (p.kind === 'os' && !p.ecosystem) p.ecosystem = ecosystem;
  return packages;
}

/**
 * `/agent/v1`: enrolment, check-in and inventory upload, exactly as
 * packages/core/src/agent-protocol/agent-protocol.ts defines them. Registered at the root (outside
 * `/api/v1`, which users' credentials guard) and authenticated by the agent credential.
 */
export function registerAgentRoutes(
  fastify: FastifyInstance,
  context: PlatformContext,
  options: AgentRouteOptions = {},
): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { auth, assets, audit, findingsService, clock, database } = context;
  const interval = options.checkinIntervalSeconds ?? DEFAULT_CHECKIN_INTERVAL_SECONDS;
  const rateLimit = { max: options.rateLimitPerMinute ?? 60, timeWindow: '1 minute', keyGenerator: agentKey };
  const authenticate = agentAuth(auth);
  // Lines of earlier uploads (of any host): most of an upload needs no parsing (see the class).
  const lineCache = new InventoryLineCache();
  installInventoryTextParser(fastify);
  if (!fastify.hasRequestDecorator('agent')) fastify.decorateRequest('agent', null);
  // Heartbeats' last_seen is written in one statement per second. Closing writes what is pending
  // in preClose, because onClose hooks run last-registered first and whoever created the app may
  // close the database in one of its own; from then on (requests still in flight) each note is
  // written at once. The onClose flush only catches what a failed write left pending.
  const logLastSeenError = (error: unknown) =>
    fastify.log.error({ err: error }, "writing agents' last_seen failed");
  const lastSeen = new LastSeenBatcher(database, { onError: logLastSeenError });
  fastify.addHook('preClose', async () => {
    await lastSeen.close().catch(logLastSeenError);
  });
  fastify.addHook('onClose', async () => {
    if (lastSeen.pending > 0) await lastSeen.flush().catch(logLastSeenError);
  });

  app.post(
    AGENT_PROTOCOL_PATHS.enrol,
    {
      config: { rateLimit },
      schema: {
        summary: 'Enrol an agent with an enrolment secret',
        tags: ['agent'],
        body: agentEnrolRequestSchema,
        response: { 201: agentEnrolResponseSchema },
      },
    },
    async (request, reply) => {
      const { enrolmentSecret, facts } = request.body;
      if (!isSecretOf('enrolment', enrolmentSecret)) {
        throw pwError(
          'PW_ERR_UNAUTHENTICATED',
          'The enrolment secret is unknown, revoked, expired or used up',
          {
            field: 'enrolmentSecret',
          },
        );
      }
      const now = clock().toISOString();
      const upsert = await assets.upsertFromReport({ source: 'agent', facts: assetFactsOf(facts) }, now);
      let enrolled;
      try {
        enrolled = await auth.enrolAgent({ secret: enrolmentSecret, assetId: upsert.asset.id });
      } catch (error) {
        // A refused secret must leave no trace of the host it claimed to be.
        if (upsert.created) await assets.remove(upsert.asset.id);
        throw error;
      }
      await audit.append({
        actor: { kind: 'agent', id: enrolled.agent.id },
        action: upsert.created ? 'asset.create' : 'asset.merge',
        target: { type: 'asset', id: upsert.asset.id },
        after: upsert.asset,
        details: { source: 'agent', rule: upsert.rule, changed: upsert.changed },
      });
      return reply.code(201).send({
        agentId: enrolled.agent.id,
        assetId: upsert.asset.id,
        credential: enrolled.credential,
        checkinIntervalSeconds: interval,
      });
    },
  );

  app.post(
    AGENT_PROTOCOL_PATHS.checkin,
    {
      preHandler: authenticate,
      config: { rateLimit },
      schema: {
        summary: 'Heartbeat: facts, and whether the server needs the inventory',
        tags: ['agent'],
        body: agentCheckinRequestSchema,
        response: { 200: agentCheckinResponseSchema },
      },
    },
    async (request) => {
      const agent = requireOwnAgent(request, request.body.agentId);
      const facts = { ...request.body.facts, rebootRequired: request.body.rebootRequired };
      const incoming = assetFactsOf(facts);
      const now = clock().toISOString();
      // Cached per process (see AssetRepository.checkinState): the common heartbeat reads nothing.
      let state = await assets.checkinState(agent.assetId);
      if (!state) throw pwError('PW_ERR_NOT_FOUND', `No asset ${agent.assetId}`, { record: agent.assetId });
      if (sameObservedFacts(state.asset, incoming)) {
        // The common heartbeat: nothing about the host changed, so there is nothing to merge and
        // no reason to take the fleet-wide merge lock; only the time of the accepted report moves.
        await lastSeen.note(agent.assetId, now);
      } else {
        await upsertOwnAsset(agent, incoming, now);
        state = (await assets.checkinState(agent.assetId)) ?? state;
      }
      return {
        needInventory: state.inventoryHash !== request.body.inventoryHash,
        checkinIntervalSeconds: interval,
      };
    },
  );

  app.put(
    AGENT_PROTOCOL_PATHS.inventory,
    {
      preHandler: authenticate,
      bodyLimit: options.inventoryBodyLimitBytes ?? DEFAULT_INVENTORY_BODY_LIMIT,
      config: { rateLimit: { ...rateLimit, max: Math.max(1, Math.floor(rateLimit.max / 4)) } },
      schema: {
        summary: "Upload the host's full inventory",
        description:
          `As JSON (AgentInventoryRequest), or as ${INVENTORY_TEXT_MEDIA_TYPE}: line 1 the JSON envelope ` +
          '(agentId, inventoryHash, facts, collectedAt), then the canonical inventory text, unescaped.',
        tags: ['agent'],
        body: {
          content: {
            'application/json': { schema: agentInventoryRequestSchema },
            [INVENTORY_TEXT_MEDIA_TYPE]: {
              schema: agentInventoryTextRequestSchema,
              documentedAs: INVENTORY_TEXT_BODY_DOCUMENTATION,
            } satisfies BodyMediaType,
          },
        },
        response: { 200: agentInventoryResponseSchema },
      },
    },
    async (request) => {
      // Bodies of the two media types above are validated by their schemas; any other parsed one
      // (text/plain, which Fastify parses by default) is refused here.
      if (typeof request.body !== 'object' || request.body === null) {
        throw pwError(
          'PW_ERR_UNSUPPORTED_MEDIA_TYPE',
          `Send the inventory as application/json or ${INVENTORY_TEXT_MEDIA_TYPE}`,
          { field: 'content-type' },
        );
      }
      const body = request.body as UploadBody | TextUploadBody;
      const agent = requireOwnAgent(request, body.agentId);
      const { facts, collectedAt, inventoryHash } = body;
      const { os, set } = uploadedSet(body, agent.assetId);
      const now = clock().toISOString();
      const reportedAt =
        Date.parse(collectedAt) > Date.parse(now) ? now : new Date(collectedAt).toISOString();
      const incoming = assetFactsOf(facts, os);
      const state = await assets.checkinState(agent.assetId);
      if (!state) throw pwError('PW_ERR_NOT_FOUND', `No asset ${agent.assetId}`, { record: agent.assetId });
      // Unchanged facts need no merge (nor its fleet-wide lock): replaceInventory moves last_seen.
      if (!sameObservedFacts(state.asset, incoming)) await upsertOwnAsset(agent, incoming, now, reportedAt);
      const stored = await assets.replaceInventorySet(agent.assetId, set, reportedAt, {
        reportedHash: inventoryHash,
      });
      // An upload older than the stored inventory was not applied: the current set is recomputed.
      const recomputed = await findingsService.recomputeFindings(
        agent.assetId,
        now,
        stored.applied
          ? { setId: stored.setId, ...(stored.findingsBefore ? { known: stored.findingsBefore } : {}) }
          : {},
      );
      await audit.append({
        actor: { kind: 'agent', id: agent.agentId },
        action: 'inventory.accept',
        target: { type: 'asset', id: agent.assetId },
        details: {
          hash: inventoryHash,
          packages: stored.packages,
          applied: stored.applied,
          changed: stored.changed,
          newTuples: stored.newTuples,
          findings: {
            total: recomputed.findings,
            opened: recomputed.opened,
            reopened: recomputed.reopened,
            fixed: recomputed.fixed,
            ...(recomputed.superseded ? { superseded: true } : {}),
          },
        },
      });
      return { accepted: true as const, packages: stored.packages };
    },
  );

  /**
   * The uploaded inventory's OS and package set, after checking that it hashes to
   * `inventoryHash`: the canonical text is hashed as received (before any line is parsed), the
   * objects by rebuilding their text.
   */
  function uploadedSet(
    body: UploadBody | TextUploadBody,
    assetId: string,
  ): { os: OsRelease; set: CanonicalSet } {
    // Only the text media type's parser sets `text` (an UploadedInventoryText, as its schema checks).
    if ('text' in body) {
      requireHash(body.inventoryHash, body.text.hash);
      const canonical = canonicalInventoryOfLines(body.text.takeLines());
      // Its lines were decoded one by one (inventory-text-body.ts): they can be kept as the
      // host's reference for its next upload (see InventoryLineCache.setOf).
      return { os: canonical.os, set: lineCache.setOf(canonical, { host: assetId }) };
    }
    if (body.inventory !== undefined) {
      requireHash(body.inventoryHash, hashOfText(body.inventory));
      const canonical = splitCanonicalInventory(body.inventory);
      return { os: canonical.os, set: lineCache.setOf(canonical) };
    }
    // The schema requires both when there is no text.
    const os = body.os!;
    const packages = body.packages as InstalledPackage[];
    requireHash(body.inventoryHash, serverInventoryHash(os, packages));
    return { os, set: canonicalSet(addOsEcosystem(os, packages)) };
  }

  /**
   * Facts go to the credential's asset. When they would merge into another asset (its hostname or
   * MACs now match someone else), the report is refused rather than written elsewhere.
   */
  async function upsertOwnAsset(agent: AgentPrincipal, facts: AssetFacts, now: string, reportedAt = now) {
    // Callers have checked that the credential's asset exists (checkinState).
    const result = await assets.upsertFromReport({ source: 'agent', facts, reportedAt }, now);
    if (result.asset.id !== agent.assetId) {
      warnMatchedElsewhere(fastify, agent, result.asset.id);
    }
    // A host whose facts moved (new address, kernel, reboot needed) is a state change: audited.
    if (result.changed.length > 0) {
      await audit.append({
        actor: { kind: 'agent', id: agent.agentId },
        action: 'asset.merge',
        target: { type: 'asset', id: result.asset.id },
        after: result.asset,
        details: { source: 'agent', rule: result.rule, changed: result.changed },
      });
    }
    return result;
  }
}

function warnMatchedElsewhere(fastify: FastifyInstance, agent: AgentPrincipal, landed: string): void {
  fastify.log.warn(
    { agentId: agent.agentId, assetId: agent.assetId, matchedAssetId: landed },
    'agent facts matched another asset than the one it enrolled as',
  );
}
