import { authorize, effectivePermissions, pwError } from '@patchwarden/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthRouteContext } from '../auth-context.ts';
import { apiTokenSchema, idParams, permissionSchema } from '../auth-schemas.ts';
import { actorOf, authorizeRequest } from '../request-principal.ts';

const DAY = 24 * 60 * 60 * 1000;
export const DEFAULT_TOKEN_DAYS = 90;

const newTokenBody = z
  .object({
    name: z.string().min(1).max(200),
    scopes: z
      .array(permissionSchema)
      .min(1)
      .describe('What the token may do; at most what its creator may do.'),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    expiresInDays: z.number().int().min(1).max(730).optional().describe(`Default ${DEFAULT_TOKEN_DAYS}.`),
  })
  .refine((body) => body.expiresAt === undefined || body.expiresInDays === undefined, {
    message: 'Give expiresAt or expiresInDays, not both',
    path: ['expiresInDays'],
  });

export function registerTokenRoutes(fastify: FastifyInstance, context: AuthRouteContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { repository, clock } = context;

  app.post(
    '/tokens',
    {
      schema: {
        summary: 'Create an API token for myself; its secret is shown this once',
        tags: ['auth'],
        body: newTokenBody,
        response: { 201: z.object({ token: apiTokenSchema, secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'tokens:own');
      // A token never gets more than its creator has: otherwise a narrow token could mint a wide one.
      const ceiling = new Set(effectivePermissions(principal));
      const beyond = request.body.scopes.filter((scope) => !ceiling.has(scope));
      if (beyond.length > 0) {
        throw pwError('PW_ERR_FORBIDDEN', `You cannot grant what you do not have: ${beyond.join(', ')}`, {
          field: 'scopes',
          permissions: beyond,
        });
      }
      const expiresAt =
        request.body.expiresAt ??
        new Date(clock().getTime() + (request.body.expiresInDays ?? DEFAULT_TOKEN_DAYS) * DAY);
      const created = await repository.createToken(
        { userId: principal.userId, name: request.body.name, scopes: request.body.scopes, expiresAt },
        actorOf(principal),
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        summary: 'List my API tokens (or anyone’s, with tokens:manage)',
        tags: ['auth'],
        querystring: z.object({
          userId: z.uuid().optional(),
          all: z
            .enum(['true', 'false'])
            .optional()
            .transform((value) => value === 'true'),
        }),
        response: { 200: z.object({ items: z.array(apiTokenSchema) }) },
      },
    },
    async (request) => {
      const { userId, all } = request.query;
      const principal = authorizeRequest(request, 'tokens:own');
      if (all || (userId !== undefined && userId !== principal.userId)) {
        authorizeRequest(request, 'tokens:manage');
        return { items: await repository.listTokens(all ? {} : { userId: userId! }) };
      }
      return { items: await repository.listTokens({ userId: principal.userId }) };
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        summary: 'Revoke an API token',
        tags: ['auth'],
        params: idParams,
        response: { 200: apiTokenSchema },
      },
    },
    async (request) => {
      const principal = authorizeRequest(request, 'tokens:own');
      const token = await repository.getToken(request.params.id);
      // Someone else's token is "not found" unless you manage tokens: ids are not an oracle.
      if (!token || (token.userId !== principal.userId && !authorize(principal, 'tokens:manage'))) {
        throw pwError('PW_ERR_NOT_FOUND', `No API token ${request.params.id}`, { record: request.params.id });
      }
      return repository.revokeToken(token.id, actorOf(principal));
    },
  );
}
