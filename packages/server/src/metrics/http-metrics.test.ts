import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryWidgetStore, widgetsPlugin } from '../../test/widgets-plugin.ts';
import { buildServer } from '../app/build-server.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small reader of the Prometheus text format: enough to check names, labels and values. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      if (name && type) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string>): Sample | undefined {
  return samples.find(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function scrape(server: FastifyInstance) {
  const response = await server.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(response.body);
}

describe('/metrics', () => {
  it('exposes default process metrics and typed HTTP metrics', async () => {
    app = await buildServer({ logger: false });
    const { samples, types } = await scrape(app);
    expect(find(samples, 'process_cpu_user_seconds_total', {})).toBeDefined();
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(types.get('http_requests_total')).toBe('counter');
    expect(types.get('http_request_duration_seconds')).toBe('histogram');
  });

  it('counts requests by method, route template and status, never by raw URL', async () => {
    const store = memoryWidgetStore();
    store.add({ name: 'a', parts: [], createdAt: '2026-01-01T00:00:00Z' });
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      services: { widgets: store },
      plugins: [widgetsPlugin],
    });
    await app.inject({ method: 'GET', url: '/api/v1/widgets/1' });
    await app.inject({ method: 'GET', url: '/api/v1/widgets/1?x=y' });
    await app.inject({ method: 'GET', url: '/api/v1/widgets/2' });
    await app.inject({ method: 'GET', url: '/no/such/page-123' });
    const before = await scrape(app);
    const route = '/api/v1/widgets/:id';
    expect(find(before.samples, 'http_requests_total', { method: 'GET', route, status: '200' })?.value).toBe(
      2,
    );
    expect(find(before.samples, 'http_requests_total', { method: 'GET', route, status: '404' })?.value).toBe(
      1,
    );
    expect(find(before.samples, 'http_requests_total', { route: 'unmatched', status: '404' })?.value).toBe(1);
    const routes = new Set(before.samples.map((sample) => sample.labels.route).filter(Boolean));
    expect([...routes].filter((r) => /\/\d|page-123|\?/.test(r!))).toEqual([]);

    expect(find(before.samples, 'http_request_duration_seconds_count', { method: 'GET', route })?.value).toBe(
      3,
    );
    expect(find(before.samples, 'http_request_duration_seconds_bucket', { route, le: '+Inf' })?.value).toBe(
      3,
    );

    await app.inject({ method: 'GET', url: '/api/v1/widgets/1' });
    const after = await scrape(app);
    expect(find(after.samples, 'http_requests_total', { method: 'GET', route, status: '200' })?.value).toBe(
      3,
    );
    // The first scrape is counted once it has been answered.
    expect(find(after.samples, 'http_requests_total', { route: '/metrics', status: '200' })?.value).toBe(1);
  });

  it('gives each server its own registry', async () => {
    const first = await buildServer({ logger: false, metrics: { defaultMetrics: false } });
    const second = await buildServer({ logger: false, metrics: { defaultMetrics: false } });
    try {
      await first.inject({ method: 'GET', url: '/api/v1/version' });
      const { samples } = await scrape(second);
      expect(find(samples, 'http_requests_total', { route: '/api/v1/version' })).toBeUndefined();
      expect(first.metricsRegistry).not.toBe(second.metricsRegistry);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
