import { pwError } from '@patchwarden/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { captureLogs, LEVEL } from '../../test/log-capture.ts';
import { memoryWidgetStore, widgetsPlugin } from '../../test/widgets-plugin.ts';
import { buildServer, type ServerOptions, type ServerPlugin } from '../app/build-server.ts';

/** Routes that misbehave on purpose. */
const faultyPlugin: ServerPlugin = async (app) => {
  app.get(
    '/faulty/bad-response',
    { schema: { response: { 200: z.object({ id: z.number(), name: z.string() }) } } },
    // The handler breaks its own contract; the cast stands for a bug the compiler did not catch.
    async () => ({ id: 'seven', name: 'leaked-internal-value' }) as unknown as { id: number; name: string },
  );
  app.get('/faulty/throws', async () => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
  });
  app.get('/faulty/throws-string', async () => {
    throw 'not even an Error';
  });
  app.get('/faulty/conflict', async () => {
    throw pwError('PW_ERR_INVALID_RECORD', 'asset 12 already has that tag', {
      record: 'asset 12',
      field: 'tags',
    });
  });
  app.get('/faulty/database', async () => {
    throw pwError('PW_ERR_DATABASE', 'relation "assets_secret" does not exist');
  });
  app.post(
    '/faulty/echo',
    { schema: { body: z.object({ text: z.string() }) } },
    async (request) => request.body,
  );
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(options: ServerOptions = {}) {
  const logs = captureLogs();
  app = await buildServer({
    logger: logs.logger,
    metrics: { defaultMetrics: false },
    services: { widgets: memoryWidgetStore() },
    plugins: [widgetsPlugin, faultyPlugin],
    ...options,
  });
  return { app, logs: logs.lines };
}

describe('request validation', () => {
  it('reports every bad body field with its path', async () => {
    const { app } = await serve();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/widgets',
      payload: {
        name: '',
        parts: [
          { name: 'a', count: 1 },
          { name: 'b', count: 2 },
          { name: 3, count: -1 },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.code).toBe('PW_ERR_VALIDATION');
    expect(body.details.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'body.name',
      'body.parts[2].name',
      'body.parts[2].count',
    ]);
    expect(body.message).toMatch(/^body\.name: .+ \(and 2 more\)$/);
  });

  it('reports query and path parameters under query. and params.', async () => {
    const { app } = await serve();
    const query = await app.inject({ method: 'GET', url: '/api/v1/widgets?limit=lots' });
    expect(query.statusCode).toBe(400);
    expect(query.json().details.issues[0].path).toBe('query.limit');
    const params = await app.inject({ method: 'GET', url: '/api/v1/widgets/-4' });
    expect(params.statusCode).toBe(400);
    expect(params.json().details.issues[0].path).toBe('params.id');
  });

  it('answers malformed JSON with PW_ERR_PARSE and an unknown content type with 415', async () => {
    const { app } = await serve();
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/faulty/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"text": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({
      code: 'PW_ERR_PARSE',
      message: 'The request body is not valid JSON',
      details: { field: 'body' },
    });
    const xml = await app.inject({
      method: 'POST',
      url: '/api/v1/faulty/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<text/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe('PW_ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('response validation', () => {
  it('answers 500 PW_ERR_INTERNAL instead of sending a body that breaks its schema, and logs why', async () => {
    const { app, logs } = await serve();
    const response = await app.inject({ method: 'GET', url: '/api/v1/faulty/bad-response' });
    expect(response.statusCode).toBe(500);
    const body = response.json();
    expect(body).toEqual({
      code: 'PW_ERR_INTERNAL',
      message: 'Internal server error',
      details: { requestId: response.headers['x-request-id'] },
    });
    expect(response.body).not.toContain('leaked-internal-value');
    const logged = logs.find(
      (line) => line.level === LEVEL.error && line.requestId === body.details.requestId,
    );
    expect(logged?.issues).toEqual([expect.objectContaining({ path: ['id'] })]);
  });
});

describe('thrown errors', () => {
  it('answers a PatchwardenError with its status, code, message and details', async () => {
    const { app } = await serve();
    const response = await app.inject({ method: 'GET', url: '/api/v1/faulty/conflict' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      code: 'PW_ERR_INVALID_RECORD',
      message: 'asset 12 already has that tag',
      details: { record: 'asset 12', field: 'tags' },
    });
    const missing = await app.inject({ method: 'GET', url: '/api/v1/widgets/99' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      code: 'PW_ERR_NOT_FOUND',
      message: 'No widget 99',
      details: { record: '99' },
    });
  });

  it('hides the message of a server-side PatchwardenError but keeps its status', async () => {
    const { app } = await serve();
    const response = await app.inject({ method: 'GET', url: '/api/v1/faulty/database' });
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('PW_ERR_DATABASE');
    expect(response.body).not.toContain('assets_secret');
  });

  it('answers unknown throws with 500 PW_ERR_INTERNAL, leaks nothing and logs the stack', async () => {
    const { app, logs } = await serve();
    const response = await app.inject({ method: 'GET', url: '/api/v1/faulty/throws' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      code: 'PW_ERR_INTERNAL',
      message: 'Internal server error',
      details: { requestId: response.headers['x-request-id'] },
    });
    expect(response.body).not.toMatch(/hunter2|ECONNREFUSED|10\.0\.0\.5/);
    const logged = logs.find((line) => line.level === LEVEL.error && line.err?.message?.includes('hunter2'));
    expect(logged?.requestId).toBe(response.headers['x-request-id']);
    expect(logged?.err?.stack).toContain('error-handler.test.ts');

    const stringThrow = await app.inject({ method: 'GET', url: '/api/v1/faulty/throws-string' });
    expect(stringThrow.statusCode).toBe(500);
    expect(stringThrow.json().code).toBe('PW_ERR_INTERNAL');
  });

  it('answers unknown routes with 404 PW_ERR_NOT_FOUND', async () => {
    const { app } = await serve();
    const response = await app.inject({ method: 'DELETE', url: '/api/v1/nothing/here?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      code: 'PW_ERR_NOT_FOUND',
      message: 'No route for DELETE /api/v1/nothing/here',
      details: { method: 'DELETE', path: '/api/v1/nothing/here' },
    });
  });
});

describe('body limit', () => {
  it('answers 413 PW_ERR_PAYLOAD_TOO_LARGE above the server-wide limit', async () => {
    const { app } = await serve({ bodyLimitBytes: 64 });
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/faulty/echo',
      payload: { text: 'x'.repeat(100) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      code: 'PW_ERR_PAYLOAD_TOO_LARGE',
      message: 'The request body is larger than the 64 bytes this endpoint accepts',
      details: { limitBytes: 64 },
    });
  });

  it('applies a route’s own bodyLimit instead of the server-wide one', async () => {
    const { app } = await serve();
    const big = { text: 'x'.repeat(2000) };
    const limited = await app.inject({
      method: 'POST',
      url: '/api/v1/widgets',
      payload: { name: 'w', parts: [{ name: big.text, count: 1 }] },
    });
    expect(limited.statusCode).toBe(413);
    expect(limited.json().details).toEqual({ limitBytes: 1024 });
    const allowed = await app.inject({ method: 'POST', url: '/api/v1/faulty/echo', payload: big });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toEqual(big);
  });
});

describe('rate limit', () => {
  it('answers 429 PW_ERR_RATE_LIMITED once a client passes the global limit, with Retry-After', async () => {
    const { app } = await serve({ rateLimit: { max: 5, timeWindow: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await app.inject({ method: 'GET', url: '/api/v1/version' })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await app.inject({ method: 'GET', url: '/api/v1/version' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({
      code: 'PW_ERR_RATE_LIMITED',
      details: { limit: 5, retryAfterSeconds: 60 },
    });
    expect(limited.headers['retry-after']).toBe('60');
    // Probes and metrics are exempt: an orchestrator must always reach them.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    // Unknown URLs count too, so scanning for routes is limited as well.
    expect((await app.inject({ method: 'GET', url: '/api/v1/nope' })).statusCode).toBe(429);
  });

  it('applies a route’s own limit next to the global one', async () => {
    const { app } = await serve();
    const create = () =>
      app.inject({ method: 'POST', url: '/api/v1/widgets', payload: { name: 'w', parts: [] } });
    expect([(await create()).statusCode, (await create()).statusCode, (await create()).statusCode]).toEqual([
      201, 201, 201,
    ]);
    const fourth = await create();
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json().details.limit).toBe(3);
    expect((await app.inject({ method: 'GET', url: '/api/v1/widgets' })).statusCode).toBe(200);
  });

  it('can be turned off', async () => {
    const { app } = await serve({ rateLimit: false });
    for (let i = 0; i < 4; i++) {
      expect(
        (await app.inject({ method: 'POST', url: '/api/v1/widgets', payload: { name: 'w', parts: [] } }))
          .statusCode,
      ).toBe(201);
    }
  });
});
