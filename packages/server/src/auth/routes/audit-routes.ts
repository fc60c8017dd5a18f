import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthRouteContext } from '../auth-context.ts';
import { auditEntrySchema, auditFilterSchema } from '../auth-schemas.ts';
import { actorOf, authorizeRequest } from '../request-principal.ts';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' } as const;

export function registerAuditRoutes(fastify: FastifyInstance, context: AuthRouteContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { audit, clock } = context;

  app.get(
    '/audit',
    {
      schema: {
        summary: 'Search the audit log, newest first',
        tags: ['audit'],
        querystring: auditFilterSchema.extend({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          beforeSeq: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .describe('nextBeforeSeq of the previous page.'),
        }),
        response: {
          200: z.object({ items: z.array(auditEntrySchema), nextBeforeSeq: z.number().int().optional() }),
        },
      },
    },
    async (request) => {
      authorizeRequest(request, 'audit:read');
      const { limit, beforeSeq, ...filter } = request.query;
      const page = await audit.query(filter, { limit, ...(beforeSeq === undefined ? {} : { beforeSeq }) });
      return {
        items: page.entries,
        ...(page.nextBeforeSeq === undefined ? {} : { nextBeforeSeq: page.nextBeforeSeq }),
      };
    },
  );

  app.get(
    '/audit/export',
    {
      schema: {
        summary: 'Export the audit log (oldest first), streamed as CSV or a JSON array',
        tags: ['audit'],
        querystring: auditFilterSchema.extend({ format: z.enum(['csv', 'json']).default('json') }),
      },
    },
    async (request, reply) => {
      const principal = authorizeRequest(request, 'audit:export');
      const { format, ...filter } = request.query;
      // Who took a copy of the log is itself worth recording.
      await audit.append({ actor: actorOf(principal), action: 'audit.export', details: { format, filter } });
      const stamp = clock().toISOString().slice(0, 10);
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="patchwarden-audit-${stamp}.${format}"`)
        .send(Readable.from(audit.export(format, filter)));
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        summary: 'Recompute the hash chain of the whole audit log',
        tags: ['audit'],
        querystring: z.object({
          headSeq: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .describe('A head recorded earlier, to detect truncation.'),
          headHash: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .optional(),
        }),
        response: {
          200: z
            .object({
              ok: z.boolean(),
              checked: z.number().int(),
              firstBadSeq: z.number().int().optional(),
              reason: z.string().optional(),
              head: z.object({ seq: z.number().int(), hash: z.string() }).optional(),
            })
            .meta({
              id: 'AuditVerification',
              description: 'Whether the audit log is intact, and where it breaks.',
            }),
        },
      },
    },
    async (request) => {
      authorizeRequest(request, 'audit:read');
      const { headSeq, headHash } = request.query;
      return audit.verify(
        headSeq !== undefined && headHash !== undefined
          ? { expectedHead: { seq: headSeq, hash: headHash } }
          : {},
      );
    },
  );
}
