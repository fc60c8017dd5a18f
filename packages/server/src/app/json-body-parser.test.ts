import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServerPlugin } from './build-server.ts';

/** Echoes what the body parser produced, without any schema in the way. */
const echo: ServerPlugin = async (instance) => {
  instance.post('/echo', async (request) => ({ body: request.body ?? null }));
};

let app: FastifyInstance;
/** A bare Fastify with its own default parser: what ours must agree with. */
let reference: FastifyInstance;

beforeAll(async () => {
  app = await buildServer({
    logger: false,
    rateLimit: false,
    metrics: { defaultMetrics: false },
    plugins: [echo],
  });
  reference = Fastify({ logger: false });
  reference.post('/api/v1/echo', async (request) => ({ body: request.body ?? null }));
  await Promise.all([app.ready(), reference.ready()]);
});

afterAll(async () => {
  await app.close();
  await reference.close();
});

async function post(server: FastifyInstance, payload: string) {
  const response = await server.inject({
    method: 'POST',
    url: '/api/v1/echo',
    headers: { 'content-type': 'application/json' },
    payload,
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

describe('JSON request bodies', () => {
  it('parse ordinary bodies as Fastify does', async () => {
    const text = JSON.stringify({ inventory: 'a\nb "c"', n: [1, 2.5, null, true], nested: { é: '✓' } });
    expect(await post(app, text)).toEqual({ status: 200, body: { body: JSON.parse(text) } });
  });

  it.each([
    ['a __proto__ key', '{"name":"x","__proto__":{"admin":true}}'],
    ['an escaped __proto__ key', '{"name":"x","\\u005f_proto__":{"admin":true}}'],
    ['a fully escaped __proto__ key', '{"\\u005f\\u005f\\u0070roto__":{}}'],
    ['a constructor key', '{"constructor":{"prototype":{"admin":true}}}'],
    ['an escaped constructor key', '{"\\u0063onstructor":{"prototype":{}}}'],
  ])('refuse %s with a 400, as Fastify does', async (_what, payload) => {
    const ours = await post(app, payload);
    expect(ours.status).toBe(400);
    expect((await post(reference, payload)).status).toBe(400);
  });

  it('accept the words as values, and a leading byte order mark, as Fastify does', async () => {
    for (const payload of ['{"name":"constructor","note":"__proto__ \\u00e9"}', '\ufeff{"a":1}']) {
      const ours = await post(app, payload);
      expect(ours).toEqual({ status: 200, body: (await post(reference, payload)).body });
    }
  });

  it('refuse malformed and empty bodies with a 400', async () => {
    for (const payload of ['{"name":', '', '{"a":1}x', 'nul']) {
      const ours = await post(app, payload);
      expect(ours.status, payload).toBe(400);
      expect((await post(reference, payload)).status, payload).toBe(400);
    }
  });

  it('agree with Fastify on generated JSON and on damaged JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.json({ maxDepth: 3 }),
        fc.nat({ max: 40 }),
        fc.constantFrom('', '"', '\\u00', '__proto__":', 'constructor":', '}', ','),
        async (text, at, insert) => {
          for (const payload of [text, text.slice(0, at) + insert + text.slice(at)]) {
            const [ours, theirs] = [await post(app, payload), await post(reference, payload)];
            expect(ours.status).toBe(theirs.status);
            if (theirs.status === 200) expect(ours.body).toEqual(theirs.body);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
