import { pwError } from '@patchwarden/core';
import type { FastifyInstance } from 'fastify';

/** Wall-clock source; passed in so that tests and the pure core never read the clock themselves. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/**
 * What route plugins need from the rest of the application (store, queue, clock...), built once by
 * the process that starts the server and reachable as `app.services` in every plugin.
 *
 * A package that provides a service declares it here by declaration merging, next to the code that
 * builds it:
 *
 * ```ts
 * declare module '@patchwarden/server' {
 *   interface PatchwardenServices {
 *     store: PatchwardenStore;
 *   }
 * }
 * ```
 *
 * and a plugin that needs it calls `requireService(app, 'store')` when it registers, so a server
 * assembled without it fails at boot rather than on the first request.
 */
export interface PatchwardenServices {
  clock: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: PatchwardenServices;
  }
}

/**
 * The service named `key`, or a PW_ERR_INTERNAL naming it when the server was assembled without it.
 * Call it while the plugin registers (not inside handlers) to fail fast.
 */
export function requireService<K extends keyof PatchwardenServices>(
  app: FastifyInstance,
  key: K,
): NonNullable<PatchwardenServices[K]> {
  const service = app.services[key];
  if (service === undefined || service === null) {
    throw pwError('PW_ERR_INTERNAL', `The server was started without the '${String(key)}' service`, {
      field: `services.${String(key)}`,
    });
  }
  return service as NonNullable<PatchwardenServices[K]>;
}
