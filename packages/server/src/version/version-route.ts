import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const API_VERSION = 'v1' as const;

export const versionSchema = z
  .object({
    name: z.literal('patchwarden'),
    version: z.string().describe('Version of the server software.'),
    apiVersion: z.literal(API_VERSION),
  })
  .meta({ id: 'Version', description: 'Which server software answers and which API it speaks.' });

/** `GET <prefix>/version`; registered inside the API prefix. */
export function registerVersionRoute(app: FastifyInstance, version: string): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/version',
    {
      schema: { summary: 'Server and API version', tags: ['operations'], response: { 200: versionSchema } },
    },
    async () => ({ name: 'patchwarden' as const, version, apiVersion: API_VERSION }),
  );
}
