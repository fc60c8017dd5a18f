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
    transform: transformRouteSchema,
    transformObject: (document) => pruneUnreferencedSchemas(jsonSchemaTransformObject(document)),
  });
}

/**
 * One media type of a route body given per media type (Fastify's `body: { content: { ... } }`):
 * `schema` is the zod schema that validates it; `documentedAs`, when set, is the JSON Schema
 * published instead (for a body its parser turns into something JSON Schema cannot describe).
 */
export interface BodyMediaType {
  schema: unknown;
  documentedAs?: Record<string, unknown>;
}

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

/**
 * fastify-type-provider-zod's transform, extended to bodies given per media type: each zod schema
 * is converted on its own and the results are put back under `content`, which @fastify/swagger
 * turns into the request body's media types.
 */
function transformRouteSchema(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const body = (input.schema as { body?: unknown } | undefined)?.body;
  const content =
    typeof body === 'object' && body !== null && 'content' in body
      ? (body as { content: Record<string, BodyMediaType> }).content
      : undefined;
  if (!content) return jsonSchemaTransform(input);
  const { body: _omitted, ...withoutBody } = input.schema as Record<string, unknown>;
  void _omitted;
  const documented: Record<string, { schema: unknown }> = {};
  for (const [mediaType, entry] of Object.entries(content)) {
    documented[mediaType] = {
      schema:
        entry.documentedAs ??
        (
          jsonSchemaTransform({ ...input, schema: { ...withoutBody, body: entry.schema } } as TransformInput)
            .schema as { body: unknown }
        ).body,
    };
  }
  const rest = jsonSchemaTransform({ ...input, schema: withoutBody } as TransformInput);
  return { ...rest, schema: { ...(rest.schema as object), body: { content: documented } } };
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
