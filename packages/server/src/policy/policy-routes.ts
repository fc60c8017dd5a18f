import { assetScopeFor, parsePolicyYaml, PatchwardenError, pwError } from '@patchwarden/core';
import type { Asset } from '@patchwarden/core';
import { PolicyRepository, QueueService } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerPlugin } from '../app/build-server.ts';
import { actorOf, authorizeRequest, principalOf } from '../auth/request-principal.ts';
import { registerRiskRoutes } from './risk-routes.ts';
import {
  formatQuery,
  patchQueueSchema,
  policyBodySchema,
  policyDocumentSchema,
  policyVersionSchema,
  policyVersionSummarySchema,
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

    registerRiskRoutes(app, { database: options.database, policies, clock, readScope });

    app.get(
      '/queue',
      {
        schema: {
          summary: 'The patch queue: patches ranked, with due dates, windows, approval, risk removed and why',
          tags: ['policy'],
          querystring: queueQuery,
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
        return result as unknown as z.infer<typeof patchQueueSchema>;
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
