import rateLimit from '@fastify/rate-limit';
import { pwError } from '@patchwarden/core';
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RateLimitOptions {
  /** Requests one client (by IP, see `trustProxy`) may make per window. */
  max: number;
  /** Window length in milliseconds or as text such as `'1 minute'`. */
  timeWindow: number | string;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: 600, timeWindow: '1 minute' };

/**
 * Registers the global limit. The counters live in this process's memory: behind a load balancer
 * with several server processes each has its own budget (a shared store is a later concern).
 * A route overrides the limit with `config: { rateLimit: { max, timeWindow } }` or opts out with
 * `config: { rateLimit: false }` (probes and metrics do).
 */
export async function registerRateLimit(
  app: FastifyInstance,
  options: RateLimitOptions | false,
): Promise<void> {
  if (options === false) return;
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.timeWindow,
    errorResponseBuilder: (_request, context) =>
      pwError('PW_ERR_RATE_LIMITED', `Rate limit exceeded, retry in ${context.after}`, {
        limit: context.max,
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
}

/** Whether a route is subject to the global or its own rate limit. */
export function isRateLimited(enabled: boolean): (route: RouteOptions) => boolean {
  return (route) => {
    if (!enabled) return false;
    const config = route.config as { rateLimit?: unknown } | undefined;
    return config?.rateLimit !== false;
  };
}
