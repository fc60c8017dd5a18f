import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pruneUnreferencedSchemas } from './prune-components.ts';

export interface OpenApiInfo {
  version: string;
}

/**
 * Collects every route's zod schemas into an OpenAPI 3.1 document. Must be registered before any
 * route: @fastify/swagger learns routes through an onRoute hook. Schemas given an id with
 * `.meta({ id: 'Name' })` become shared `components.schemas` entries.
 */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Patchwarden API',
        version: info.version,
        description: 'Patch management: assets, vulnerabilities, patches, rollouts and their evidence.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => pruneUnreferencedSchemas(jsonSchemaTransformObject(document)),
  });
}

/** `GET <prefix>/openapi.json`; registered inside the API prefix. */
export function registerOpenApiRoute(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI document',
        tags: ['operations'],
        response: {
          200: z
            .looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) })
            .describe('OpenAPI 3.1 document describing every route of this server.'),
        },
      },
    },
    async () =>
      app.swagger() as unknown as {
        openapi: string;
        info: Record<string, unknown>;
        paths: Record<string, unknown>;
      },
  );
}
