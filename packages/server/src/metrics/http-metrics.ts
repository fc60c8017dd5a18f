import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { z } from 'zod';

declare module 'fastify' {
  interface FastifyInstance {
    /** This server's Prometheus registry: plugins add their own metrics to it. */
    metricsRegistry: Registry;
  }
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC...); on by default. */
  defaultMetrics?: boolean;
}

/** Label for requests no route matched, so that scanners cannot blow up the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Counts every answered request by method, route template (`/api/v1/assets/:id`, never the raw URL)
 * and status, times it, and serves the registry at `GET /metrics`. Each server gets its own
 * registry so that several servers in one process (tests) do not share counters.
 */
export function registerHttpMetrics(app: FastifyInstance, options: MetricsOptions = {}): void {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its answer, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });

  app.decorate('metricsRegistry', registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      config: { rateLimit: false },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        response: {
          200: {
            description: 'Metrics in the Prometheus text exposition format.',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    },
  );
}
