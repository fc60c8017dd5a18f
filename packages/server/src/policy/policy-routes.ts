import {
  addExceptionToYaml,
  assetScopeFor,
  declareEmergencyInYaml,
  liftEmergencyInYaml,
  exceptionDaysLeft,
  pageOfQueue,
  parsePolicyYaml,
  PatchwardenError,
  pwError,
  renewExceptionInYaml,
} from '@patchwarden/core';
import type { EmergencySpec, ExceptionSpec } from '@patchwarden/core';
import type { Asset } from '@patchwarden/core';
import { PolicyRepository, QueueService } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerPlugin } from '../app/build-server.ts';
import { actorOf, authorizeRequest, principalOf } from '../auth/request-principal.ts';
import { registerRiskRoutes } from './risk-routes.ts';

const DEFAULT_QUEUE_PAGE = 100;
import {
  formatQuery,
  patchQueueSchema,
  policyBodySchema,
  policyDocumentSchema,
  policyVersionSchema,
  policyVersionSummarySchema,
  emergencyLiftSchema,
  exceptionRenewalSchema,
  newEmergencySchema,
  policyEmergencySchema,
  newExceptionSchema,
  policyExceptionSchema,
  queuePageQuery,
  queueQuery,
  typeOverrideBodySchema,
  typeOverrideSchema,
  whatIfSchema,
} from './policy-schemas.ts';

export interface PolicyPluginOptions {
  database: Database;
  /** Given ones are used as they are (tests share a clock with them); else built on `database`. */
  policies?: PolicyRepository;
  queue?: QueueService;
}

const YAML_TYPE = 'text/yaml; charset=utf-8';

/** Reading the policy and the queue: `findings:read` in any scope (the queue then shows only that scope). */
const READ = 'findings:read';
/**
 * Changing the policy or a patch's type changes what is approved and when, for the whole fleet:
 * `approvals:decide` granted globally (approvers and admins), never through a team binding.
 */
const DECIDE = 'approvals:decide';

type PolicyBody = z.infer<typeof policyBodySchema>;

function readScope(request: FastifyRequest): ((asset: Asset) => boolean) | undefined {
  const scope = assetScopeFor(principalOf(request), READ);
  if (scope.kind === 'none')
    throw pwError('PW_ERR_FORBIDDEN', `Permission ${READ} is required`, { permission: READ });
  return scope.kind === 'some' ? scope.matches : undefined;
}

function policyText(body: PolicyBody): { yaml: string; file: string; comment?: string } {
  if (typeof body === 'string') return { yaml: body, file: '(request body)' };
  return {
    yaml: body.yaml,
    file: body.file ?? '(request body)',
    ...(body.comment === undefined ? {} : { comment: body.comment }),
  };
}

/**
 * The core lists a policy's problems as `{ field, message, line }`; the API's error shape names a
 * field `path` (as for request validation), so the same client code prints both.
 */
async function explained<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PatchwardenError && Array.isArray(error.details['issues'])) {
      const issues = error.details['issues'] as { field?: string; message?: string; line?: number }[];
      error.details['issues'] = issues.map((issue) => ({
        path: issue.field ?? '',
        message: issue.message ?? '',
        ...(issue.line === undefined ? {} : { line: issue.line }),
      }));
    }
    throw error;
  }
}

/**
 * The policy routes: the current policy and its history as JSON or YAML, applying a new version,
 * what-if simulations, the patch queue, and patch-type overrides. Validation of a policy is the
 * core's (parsePolicyYaml): a bad field is a 400 naming its path and line, and nothing is saved.
 */
export function policyPlugin(options: PolicyPluginOptions): ServerPlugin {
  return async (app) => {
    const { clock } = app.services;
    const policies = options.policies ?? new PolicyRepository(options.database, { clock });
    const queue = options.queue ?? new QueueService(options.database, policies);
    const nowOf = (at?: string) => (at === undefined ? clock().toISOString() : new Date(at).toISOString());

    // Policies travel as YAML; this parser is local to this plugin's routes.
    app.addContentTypeParser(
      ['text/yaml', 'application/yaml', 'application/x-yaml', 'text/x-yaml'],
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    );

    app.get(
      '/policy',
      {
        schema: {
          summary: 'The current patch policy (JSON document, or its YAML text with ?format=yaml)',
          tags: ['policy'],
          querystring: formatQuery,
          response: { 200: z.union([policyDocumentSchema, z.string()]) },
        },
      },
      async (request, reply) => {
        readScope(request);
        const current = await policies.current();
        reply.header('x-policy-version', String(current.version));
        if (request.query.format === 'yaml') return reply.type(YAML_TYPE).send(current.yaml);
        return current.document;
      },
    );

    app.put(
      '/policy',
      {
        schema: {
          summary: 'Apply a new version of the patch policy (YAML body, or JSON {yaml, comment})',
          tags: ['policy'],
          querystring: z.object({ comment: z.string().max(2000).optional() }),
          body: policyBodySchema,
          response: { 200: z.object({ version: z.number().int() }) },
        },
      },
      async (request) => {
        const principal = authorizeRequest(request, DECIDE);
        const { yaml, file, comment } = policyText(request.body);
        const saved = await explained(() =>
          policies.apply(yaml, file, actorOf(principal), comment ?? request.query.comment),
        );
        return { version: saved.version };
      },
    );

    app.get(
      '/policy/versions',
      {
        schema: {
          summary: 'Every saved version of the policy, newest first',
          tags: ['policy'],
          response: { 200: z.object({ items: z.array(policyVersionSummarySchema) }) },
        },
      },
      async (request) => {
        readScope(request);
        return { items: await policies.versions() };
      },
    );

    app.get(
      '/policy/versions/:version',
      {
        schema: {
          summary: 'One saved version of the policy (?format=yaml: its text as applied)',
          tags: ['policy'],
          params: z.object({ version: z.coerce.number().int().min(1) }),
          querystring: formatQuery,
          response: { 200: z.union([policyVersionSchema, z.string()]) },
        },
      },
      async (request, reply) => {
        readScope(request);
        const found = await policies.version(request.params.version);
        if (!found) {
          throw pwError('PW_ERR_NOT_FOUND', `No policy version ${request.params.version}`, {
            record: String(request.params.version),
          });
        }
        if (request.query.format === 'yaml') return reply.type(YAML_TYPE).send(found.yaml);
        return found;
      },
    );

    app.post(
      '/policy/what-if',
      {
        schema: {
          summary:
            'What a proposed policy would change in the queue (due dates, windows, breaches); nothing is saved',
          tags: ['policy'],
          querystring: queueQuery,
          body: policyBodySchema,
          response: { 200: whatIfSchema },
        },
      },
      async (request) => {
        const assetScope = readScope(request);
        const { yaml, file } = policyText(request.body);
        const proposed = await explained(() => parsePolicyYaml(yaml, file));
        const current = await policies.current();
        const result = await queue.whatIf(proposed, {
          now: nowOf(request.query.at),
          ...(request.query.filter === undefined ? {} : { filter: request.query.filter }),
          ...(assetScope ? { assetScope } : {}),
        });
        // The two whole queues are left out: GET /queue shows the current one.
        const { before: _before, after: _after, ...changes } = result;
        // Interfaces carry no index signature; the loose response schema passes every field through.
        return { policyVersion: current.version, ...changes } as unknown as z.infer<typeof whatIfSchema>;
      },
    );

    /** An exception as listed: its spec, where it stands at `now`, and the days it has left. */
    const listed = (exception: ExceptionSpec, now: string) => {
      const state =
        Date.parse(now) >= Date.parse(exception.expiresAt)
          ? 'expired'
          : Date.parse(now) < Date.parse(exception.createdAt)
            ? 'upcoming'
            : 'active';
      return { ...exception, state, daysLeft: exceptionDaysLeft(exception, now) } as z.infer<
        typeof policyExceptionSchema
      >;
    };

    app.get(
      '/policy/exceptions',
      {
        schema: {
          summary: "The current policy's exceptions and deferrals, with where each stands now",
          tags: ['policy'],
          querystring: z.object({ state: z.enum(['active', 'expired', 'upcoming']).optional() }),
          response: {
            200: z.object({ policyVersion: z.number().int(), items: z.array(policyExceptionSchema) }),
          },
        },
      },
      async (request) => {
        readScope(request);
        const current = await policies.current();
        const now = clock().toISOString();
        const items = current.document.spec.exceptions
          .map((e) => listed(e, now))
          .filter((e) => request.query.state === undefined || e.state === request.query.state);
        return { policyVersion: current.version, items };
      },
    );

    app.post(
      '/policy/exceptions',
      {
        schema: {
          summary:
            'Grant an exception or deferral (the caller is its approver); saved as a new policy version',
          tags: ['policy'],
          body: newExceptionSchema,
          response: {
            201: z.object({ policyVersion: z.number().int(), exception: policyExceptionSchema }),
          },
        },
      },
      async (request, reply) => {
        const principal = authorizeRequest(request, DECIDE);
        const now = clock().toISOString();
        const exception = {
          ...request.body,
          approver: principal.username,
          createdAt: request.body.createdAt ?? now,
        } as ExceptionSpec;
        const saved = await explained(() =>
          policies.amend(
            (yaml, file) => addExceptionToYaml(yaml, exception, file),
            actorOf(principal),
            `exception ${exception.id} granted by ${principal.username}: ${exception.reason}`,
            'policy.exception.grant',
          ),
        );
        const stored = saved.document.spec.exceptions.find((e) => e.id === exception.id) as ExceptionSpec;
        return reply.code(201).send({ policyVersion: saved.version, exception: listed(stored, now) });
      },
    );

    app.post(
      '/policy/exceptions/:id/renew',
      {
        schema: {
          summary:
            'Renew an exception before it lapses (the caller approves; at most one term, at most maxRenewals times)',
          tags: ['policy'],
          params: z.object({ id: z.string().min(1).max(200) }),
          body: exceptionRenewalSchema,
          response: {
            200: z.object({ policyVersion: z.number().int(), exception: policyExceptionSchema }),
          },
        },
      },
      async (request) => {
        const principal = authorizeRequest(request, DECIDE);
        const now = clock().toISOString();
        const { id } = request.params;
        const current = await policies.current();
        if (!current.document.spec.exceptions.some((e) => e.id === id)) {
          throw pwError('PW_ERR_NOT_FOUND', `No exception ${id} in the current policy`, { record: id });
        }
        const saved = await explained(() =>
          policies.amend(
            (yaml, file) =>
              renewExceptionInYaml(
                yaml,
                id,
                { expiresAt: request.body.expiresAt, approver: principal.username, at: now },
                file,
              ).yaml,
            actorOf(principal),
            request.body.comment ??
              `exception ${id} renewed by ${principal.username} until ${request.body.expiresAt}`,
            'policy.exception.renew',
          ),
        );
        const stored = saved.document.spec.exceptions.find((e) => e.id === id) as ExceptionSpec;
        return { policyVersion: saved.version, exception: listed(stored, now) };
      },
    );

    /** An emergency as listed: its spec, whether it is in force now, and its deadline. */
    const listedEmergency = (emergency: EmergencySpec, now: string) => {
      const nowMs = Date.parse(now);
      const state =
        emergency.liftedAt !== undefined && nowMs >= Date.parse(emergency.liftedAt)
          ? 'lifted'
          : nowMs < Date.parse(emergency.declaredAt)
            ? 'upcoming'
            : 'in-force';
      const deadline = new Date(Date.parse(emergency.declaredAt) + emergency.deadlineHours * 3_600_000);
      return { ...emergency, state, deadline: deadline.toISOString() } as z.infer<
        typeof policyEmergencySchema
      >;
    };

    app.get(
      '/policy/emergencies',
      {
        schema: {
          summary: "The current policy's emergencies, with whether each is in force and its deadline",
          tags: ['policy'],
          response: {
            200: z.object({ policyVersion: z.number().int(), items: z.array(policyEmergencySchema) }),
          },
        },
      },
      async (request) => {
        readScope(request);
        const current = await policies.current();
        const now = clock().toISOString();
        return {
          policyVersion: current.version,
          items: current.document.spec.emergencies.map((e) => listedEmergency(e, now)),
        };
      },
    );

    app.post(
      '/policy/emergencies',
      {
        schema: {
          summary:
            'Declare an emergency for a CVE or a patch: deadlines compress, exceptions and risk acceptances stop applying, approval is forced',
          tags: ['policy'],
          body: newEmergencySchema,
          response: {
            201: z.object({ policyVersion: z.number().int(), emergency: policyEmergencySchema }),
          },
        },
      },
      async (request, reply) => {
        const principal = authorizeRequest(request, DECIDE);
        const now = clock().toISOString();
        const emergency = {
          ...request.body,
          declaredAt: request.body.declaredAt ?? now,
          declaredBy: principal.username,
        } as EmergencySpec;
        const saved = await explained(() =>
          policies.amend(
            (yaml, file) => declareEmergencyInYaml(yaml, emergency, file),
            actorOf(principal),
            `emergency ${emergency.id} declared by ${principal.username}: ${emergency.reason}`,
            'policy.emergency.declare',
          ),
        );
        const stored = saved.document.spec.emergencies.find((e) => e.id === emergency.id) as EmergencySpec;
        return reply
          .code(201)
          .send({ policyVersion: saved.version, emergency: listedEmergency(stored, now) });
      },
    );

    app.post(
      '/policy/emergencies/:id/lift',
      {
        schema: {
          summary: 'Call an emergency off (from now, or from liftedAt)',
          tags: ['policy'],
          params: z.object({ id: z.string().min(1).max(200) }),
          body: emergencyLiftSchema,
          response: {
            200: z.object({ policyVersion: z.number().int(), emergency: policyEmergencySchema }),
          },
        },
      },
      async (request) => {
        const principal = authorizeRequest(request, DECIDE);
        const now = clock().toISOString();
        const { id } = request.params;
        const current = await policies.current();
        if (!current.document.spec.emergencies.some((e) => e.id === id)) {
          throw pwError('PW_ERR_NOT_FOUND', `No emergency ${id} in the current policy`, { record: id });
        }
        const liftedAt = request.body.liftedAt ?? now;
        const saved = await explained(() =>
          policies.amend(
            (yaml, file) => liftEmergencyInYaml(yaml, id, liftedAt, file).yaml,
            actorOf(principal),
            request.body.comment ?? `emergency ${id} lifted by ${principal.username} at ${liftedAt}`,
            'policy.emergency.lift',
          ),
        );
        const stored = saved.document.spec.emergencies.find((e) => e.id === id) as EmergencySpec;
        return { policyVersion: saved.version, emergency: listedEmergency(stored, now) };
      },
    );

    registerRiskRoutes(app, { database: options.database, policies, clock, readScope });

    app.get(
      '/queue',
      {
        schema: {
          summary: 'The patch queue: patches ranked, with due dates, windows, approval, risk removed and why',
          tags: ['policy'],
          querystring: queuePageQuery,
          response: { 200: patchQueueSchema },
        },
      },
      async (request) => {
        const assetScope = readScope(request);
        const result = await queue.queue({
          now: nowOf(request.query.at),
          ...(request.query.filter === undefined ? {} : { filter: request.query.filter }),
          ...(assetScope ? { assetScope } : {}),
        });
        const page = pageOfQueue(result, {
          offset: request.query.offset ?? 0,
          limit: request.query.limit ?? DEFAULT_QUEUE_PAGE,
        });
        return page as unknown as z.infer<typeof patchQueueSchema>;
      },
    );

    app.get(
      '/patches/type-overrides',
      {
        schema: {
          summary: 'Patch-type overrides in force',
          tags: ['policy'],
          response: { 200: z.object({ items: z.array(typeOverrideSchema) }) },
        },
      },
      async (request) => {
        readScope(request);
        return { items: await policies.typeOverrides() };
      },
    );

    app.post(
      '/patches/type-overrides',
      {
        schema: {
          summary: "Classify a patch by hand (replaces the rules' type; recorded in the audit log)",
          tags: ['policy'],
          body: typeOverrideBodySchema,
          response: { 201: typeOverrideSchema },
        },
      },
      async (request, reply) => {
        const principal = authorizeRequest(request, DECIDE);
        const stored = await policies.setTypeOverride(request.body, actorOf(principal));
        return reply.code(201).send(stored);
      },
    );
  };
}
