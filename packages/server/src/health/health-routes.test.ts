import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, LEVEL } from '../../test/log-capture.ts';
import { buildServer } from '../app/build-server.ts';
import type { ReadinessCheck } from './health-routes.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(ready?: ReadinessCheck, readyTimeoutMs?: number) {
  const logs = captureLogs();
  app = await buildServer({
    logger: logs.logger,
    metrics: { defaultMetrics: false },
    version: '9.8.7',
    ...(ready ? { ready } : {}),
    ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
  });
  return { app, logs: logs.lines };
}

describe('/healthz', () => {
  it('answers 200 with status, version and uptime when no readiness check is configured', async () => {
    const { app } = await serve();
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({ status: 'ok', version: '9.8.7', uptimeSeconds: expect.any(Number) });
    expect(body.uptimeSeconds).toBeGreaterThan(0);
  });

  it('answers 200 with the check’s details when ready', async () => {
    const { app } = await serve(async () => ({ ok: true, details: { database: 'up', migrations: 12 } }));
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', details: { database: 'up', migrations: 12 } });
  });

  it('answers 503 not_ready when the check says so', async () => {
    const { app } = await serve(async () => ({ ok: false, details: { database: 'down' } }));
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      status: 'not_ready',
      version: '9.8.7',
      details: { database: 'down' },
    });
  });

  it('answers 503 when the check throws, logging the reason without publishing it', async () => {
    const { app, logs } = await serve(async () => {
      throw new Error('password authentication failed for user "pw"');
    });
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().details).toEqual({ reason: 'check failed' });
    expect(response.body).not.toContain('password');
    expect(logs.some((line) => line.level === LEVEL.warn && line.err?.message?.includes('password'))).toBe(
      true,
    );
  });

  it('answers 503 when the check hangs past its timeout', async () => {
    const { app } = await serve(() => new Promise(() => {}), 50);
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    expect(response.json().details).toEqual({ reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('/livez', () => {
  it('stays 200 while the readiness check fails', async () => {
    const { app } = await serve(async () => ({ ok: false }));
    const response = await app.inject({ method: 'GET', url: '/livez' });
    expect(response.statusCode).toBe(200);
    expect(response.json().status).toBe('ok');
  });
});
