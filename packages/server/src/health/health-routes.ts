import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** What a readiness check reports: `ok` false turns `/healthz` into a 503. */
export interface ReadinessResult {
  ok: boolean;
  details?: Record<string, unknown>;
}

/** Checks the dependencies the server needs to serve requests (database reachable, migrations done...). */
export type ReadinessCheck = () => Promise<ReadinessResult>;

export interface HealthOptions {
  version: string;
  ready?: ReadinessCheck;
  /** How long a readiness check may take before it counts as not ready. */
  readyTimeoutMs?: number;
}

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'not_ready']),
    version: z.string(),
    uptimeSeconds: z.number().nonnegative(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Health', description: 'Liveness and readiness of this server process.' });

type Health = z.infer<typeof healthSchema>;

/**
 * `GET /healthz` answers 200 while the process serves requests and its readiness check passes,
 * 503 otherwise (load balancers stop routing to it). `GET /livez` never consults dependencies:
 * use it as the liveness probe, so that a database outage does not get every server restarted.
 */
export function registerHealthRoutes(app: FastifyInstance, options: HealthOptions): void {
  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const timeoutMs = options.readyTimeoutMs ?? 5_000;
  const live = (): Health => ({
    status: 'ok',
    version: options.version,
    uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
  });
  const probe = { logLevel: 'warn', config: { rateLimit: false } } as const;

  zapp.get(
    '/livez',
    {
      ...probe,
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['operations'],
        response: { 200: healthSchema },
      },
    },
    async () => live(),
  );

  zapp.get(
    '/healthz',
    {
      ...probe,
      schema: {
        summary: 'Health: the process is up and its dependencies are ready',
        tags: ['operations'],
        response: {
          200: healthSchema,
          503: {
            description: 'Up but not ready to serve.',
            content: { 'application/json': { schema: healthSchema } },
          },
        },
      },
    },
    async (request, reply) => {
      if (!options.ready) return live();
      const result = await checkReadiness(options.ready, timeoutMs, (err) =>
        request.log.warn({ err }, 'readiness check failed'),
      );
      const body: Health = {
        ...live(),
        status: result.ok ? 'ok' : 'not_ready',
        ...(result.details ? { details: result.details } : {}),
      };
      return reply.code(result.ok ? 200 : 503).send(body);
    },
  );
}

/** Runs the check, turning a throw or a hang into "not ready" (the reason is logged, not published). */
async function checkReadiness(
  check: ReadinessCheck,
  timeoutMs: number,
  logFailure: (err: unknown) => void,
): Promise<ReadinessResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(() => {
      logFailure(new Error(`readiness check took longer than ${timeoutMs} ms`));
      resolve({ ok: false, details: { reason: 'timeout' } });
    }, timeoutMs);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (err) {
    logFailure(err);
    return { ok: false, details: { reason: 'check failed' } };
  } finally {
    clearTimeout(timer);
  }
}
