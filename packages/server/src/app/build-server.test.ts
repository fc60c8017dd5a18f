import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, LEVEL } from '../../test/log-capture.ts';
import { memoryWidgetStore, widgetsPlugin } from '../../test/widgets-plugin.ts';
import { startServer } from '../lifecycle/start-server.ts';
import { buildServer, type ServerPlugin } from './build-server.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const fixedClock = () => new Date('2026-03-04T05:06:07.000Z');

describe('route plugins', () => {
  it('serve under /api/v1 with the services they declared', async () => {
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      services: { widgets: memoryWidgetStore(), clock: fixedClock },
      plugins: [widgetsPlugin],
    });
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/widgets',
      payload: { name: 'gear', parts: [{ name: 'tooth', count: 12 }] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: 1,
      name: 'gear',
      parts: [{ name: 'tooth', count: 12 }],
      createdAt: '2026-03-04T05:06:07.000Z',
    });
    const listed = await app.inject({ method: 'GET', url: '/api/v1/widgets?limit=5' });
    expect(listed.json()).toEqual({ items: [created.json()] });
    expect((await app.inject({ method: 'GET', url: '/widgets' })).statusCode).toBe(404);
  });

  it('fail at boot when a service they require is missing', async () => {
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      plugins: [widgetsPlugin],
    }).catch((err: unknown) => {
      expect(err).toMatchObject({ code: 'PW_ERR_INTERNAL', details: { field: 'services.widgets' } });
      return undefined;
    });
    expect(app).toBeUndefined();
  });

  it('register in order, each in its own context', async () => {
    const order: string[] = [];
    const first: ServerPlugin = async (instance) => {
      order.push('first');
      instance.decorate('onlyInFirst', true);
      instance.get('/first', async () => ({ sawOwnDecoration: instance.hasDecorator('onlyInFirst') }));
    };
    const second: ServerPlugin = async (instance) => {
      order.push('second');
      instance.get('/second', async () => ({ sawOtherDecoration: instance.hasDecorator('onlyInFirst') }));
    };
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, plugins: [first, second] });
    expect(order).toEqual(['first', 'second']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/first' })).json()).toEqual({
      sawOwnDecoration: true,
    });
    expect((await app.inject({ method: 'GET', url: '/api/v1/second' })).json()).toEqual({
      sawOtherDecoration: false,
    });
  });

  it('can reach sibling plugins under /api/v1 (not the probes) when wrapped with fastify-plugin', async () => {
    // The shape an authentication plugin takes: a hook on every API route registered after it.
    const stampApiAnswers = fastifyPlugin<Record<never, never>>(async (instance) => {
      instance.addHook('onRequest', async (_request, reply) => {
        reply.header('x-api-hook', 'ran');
      });
    });
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      services: { widgets: memoryWidgetStore() },
      plugins: [stampApiAnswers, widgetsPlugin],
    });
    expect((await app.inject({ method: 'GET', url: '/api/v1/widgets' })).headers['x-api-hook']).toBe('ran');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).headers['x-api-hook']).toBeUndefined();
  });

  it('answers /api/v1/version', async () => {
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, version: '3.2.1' });
    const response = await app.inject({ method: 'GET', url: '/api/v1/version' });
    expect(response.json()).toEqual({ name: 'patchwarden', version: '3.2.1', apiVersion: 'v1' });
  });
});

describe('request ids', () => {
  it('echo a well-formed x-request-id and use it in the logs', async () => {
    const logs = captureLogs();
    app = await buildServer({ logger: logs.logger, metrics: { defaultMetrics: false } });
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/version',
      headers: { 'x-request-id': 'lb-7f3a:42' },
    });
    expect(response.headers['x-request-id']).toBe('lb-7f3a:42');
    const requestLines = logs.lines.filter((line) => line.requestId === 'lb-7f3a:42');
    expect(requestLines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(requestLines.every((line) => line.level === LEVEL.info)).toBe(true);
  });

  it('replace a missing or malformed id with a fresh UUID, also on error answers', async () => {
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false } });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const none = await app.inject({ method: 'GET', url: '/api/v1/version' });
    const forged = await app.inject({
      method: 'GET',
      url: '/no-such-route',
      headers: { 'x-request-id': 'x"}\n{"level":60,"msg":"forged' },
    });
    expect(none.headers['x-request-id']).toMatch(uuid);
    expect(forged.statusCode).toBe(404);
    expect(forged.headers['x-request-id']).toMatch(uuid);
    expect(forged.headers['x-request-id']).not.toBe(none.headers['x-request-id']);
  });
});

describe('security headers', () => {
  it('deny every content source and framing for API answers, errors included', async () => {
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false } });
    for (const url of ['/api/v1/version', '/api/v1/missing']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
      );
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('let a route relax the policy for itself, and only for itself, every time it answers', async () => {
    const page: ServerPlugin = async (instance) => {
      instance.get(
        '/page',
        {
          config: { securityHeaders: { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } } },
        },
        async () => ({ page: true }),
      );
    };
    app = await buildServer({ logger: false, metrics: { defaultMetrics: false }, plugins: [page] });
    for (let i = 0; i < 2; i++) {
      const relaxed = await app.inject({ method: 'GET', url: '/api/v1/page' });
      expect(relaxed.statusCode).toBe(200);
      expect(relaxed.headers['content-security-policy']).toMatch(/^default-src 'self';/);
      // The rest of the API policy still holds there.
      expect(relaxed.headers['referrer-policy']).toBe('no-referrer');
      expect(relaxed.headers['cross-origin-resource-policy']).toBe('same-origin');
      const api = await app.inject({ method: 'GET', url: '/api/v1/version' });
      expect(api.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
      );
    }
  });
});

describe('over real HTTP', () => {
  it('serves JSON and errors on 127.0.0.1 with a kernel-chosen port', async () => {
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      services: { widgets: memoryWidgetStore() },
      plugins: [widgetsPlugin],
    });
    const address = await startServer(app, { host: '127.0.0.1', port: 0 });
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${address}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');

    const created = await fetch(`${address}/api/v1/widgets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'real-http-1' },
      body: JSON.stringify({ name: 'x', parts: [{ name: 'p', count: 'many' }] }),
    });
    expect(created.status).toBe(400);
    expect(created.headers.get('x-request-id')).toBe('real-http-1');
    expect(await created.json()).toMatchObject({
      code: 'PW_ERR_VALIDATION',
      details: { issues: [{ path: 'body.parts[0].count' }] },
    });

    const tooBig = await fetch(`${address}/api/v1/widgets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000), parts: [] }),
    });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { code: string }).code).toBe('PW_ERR_PAYLOAD_TOO_LARGE');
  });
});
