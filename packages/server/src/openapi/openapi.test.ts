import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryWidgetStore, widgetsPlugin } from '../../test/widgets-plugin.ts';
import { buildServer } from '../app/build-server.ts';

interface Operation {
  parameters?: { in: string; name: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[] }>;
  };
}

const EXPECTED_OPERATIONS = [
  'GET /healthz',
  'GET /livez',
  'GET /metrics',
  'GET /api/v1/version',
  'GET /api/v1/openapi.json',
  'GET /api/v1/widgets',
  'GET /api/v1/widgets/{id}',
  'POST /api/v1/widgets',
];

let app: FastifyInstance;
let document: OpenApiDocument;
beforeAll(async () => {
  app = await buildServer({
    logger: false,
    metrics: { defaultMetrics: false },
    version: '1.2.3',
    services: { widgets: memoryWidgetStore() },
    plugins: [widgetsPlugin],
  });
  const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
});
afterAll(() => app.close());

describe('/api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document for this server version', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info).toMatchObject({ title: 'Patchwarden API', version: '1.2.3' });
  });

  it('has exactly one operation for every registered route', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual([...EXPECTED_OPERATIONS].sort());
    for (const operation of EXPECTED_OPERATIONS) {
      const [method, path] = operation.split(' ') as [string, string];
      expect(app.hasRoute({ method, url: path.replace(/\{(\w+)\}/g, ':$1') })).toBe(true);
    }
  });

  it('describes request schemas from zod: parameters, query and body', () => {
    const getOne = document.paths['/api/v1/widgets/{id}']!.get!;
    expect(getOne.parameters).toEqual([
      expect.objectContaining({
        in: 'path',
        name: 'id',
        schema: expect.objectContaining({ type: 'integer' }),
      }),
    ]);
    const list = document.paths['/api/v1/widgets']!.get!;
    expect(list.parameters).toEqual([expect.objectContaining({ in: 'query', name: 'limit' })]);
    const create = document.paths['/api/v1/widgets']!.post!;
    const body = create.requestBody!.content['application/json']!.schema;
    expect(body).toMatchObject({ type: 'object', required: ['name', 'parts'] });
  });

  it('describes success responses from zod, sharing schemas that have an id', () => {
    const create = document.paths['/api/v1/widgets']!.post!;
    expect(create.responses['201']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Widget',
    });
    expect(document.components.schemas.Widget).toMatchObject({
      type: 'object',
      required: ['id', 'name', 'parts', 'createdAt'],
    });
    expect(document.paths['/metrics']!.get!.responses['200']!.content).toHaveProperty('text/plain');
  });

  it('describes the error shape as a component and every route’s error answers with it', () => {
    expect(document.components.schemas.ErrorResponse).toMatchObject({
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: expect.objectContaining({ enum: expect.arrayContaining(['PW_ERR_VALIDATION']) }) },
    });
    const errorRef = { $ref: '#/components/schemas/ErrorResponse' };
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) {
        for (const status of ['500', '4XX', '5XX']) {
          expect(operation.responses[status]?.content?.['application/json']?.schema).toEqual(errorRef);
        }
      }
    }
    const create = document.paths['/api/v1/widgets']!.post!;
    for (const status of ['400', '413', '415', '429']) {
      expect(create.responses[status]?.content?.['application/json']?.schema).toEqual(errorRef);
    }
    // Probes are not rate limited, so they do not promise a 429.
    expect(document.paths['/healthz']!.get!.responses['429']).toBeUndefined();
    expect(document.paths['/healthz']!.get!.responses['503']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Health',
    });
  });

  it('lists only component schemas that something references', () => {
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'ErrorResponse',
      'Health',
      'ValidationIssue',
      'Version',
      'Widget',
    ]);
  });
});
