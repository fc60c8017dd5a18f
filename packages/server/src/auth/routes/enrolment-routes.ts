import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthRouteContext } from '../auth-context.ts';
import { enrolmentSecretSchema, idParams } from '../auth-schemas.ts';
import { actorOf, authorizeRequest } from '../request-principal.ts';

const HOUR = 60 * 60 * 1000;
export const DEFAULT_ENROLMENT_HOURS = 24;

export function registerEnrolmentRoutes(fastify: FastifyInstance, context: AuthRouteContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { repository, clock } = context;

  app.post(
    '/enrolment-secrets',
    {
      schema: {
        summary: 'Create a secret agents enrol with; shown this once',
        tags: ['agents'],
        body: z.object({
          name: z.string().min(1).max(200),
          maxUses: z.number().int().min(1).max(1_000_000).default(1),
          expiresInHours: z
            .number()
            .int()
            .min(1)
            .max(90 * 24)
            .default(DEFAULT_ENROLMENT_HOURS),
        }),
        response: { 201: z.object({ enrolmentSecret: enrolmentSecretSchema, secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'enrolment:manage');
      const created = await repository.createEnrolmentSecret(
        {
          name: request.body.name,
          maxUses: request.body.maxUses,
          expiresAt: new Date(clock().getTime() + request.body.expiresInHours * HOUR),
        },
        actorOf(principal),
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/enrolment-secrets',
    {
      schema: {
        summary: 'List enrolment secrets (never their values)',
        tags: ['agents'],
        response: { 200: z.object({ items: z.array(enrolmentSecretSchema) }) },
      },
    },
    async (request) => {
      authorizeRequest(request, 'enrolment:manage');
      return { items: await repository.listEnrolmentSecrets() };
    },
  );

  app.delete(
    '/enrolment-secrets/:id',
    {
      schema: {
        summary: 'Revoke an enrolment secret',
        tags: ['agents'],
        params: idParams,
        response: { 200: enrolmentSecretSchema },
      },
    },
    async (request) => {
      const principal = authorizeRequest(request, 'enrolment:manage');
      return repository.revokeEnrolmentSecret(request.params.id, actorOf(principal));
    },
  );
}
