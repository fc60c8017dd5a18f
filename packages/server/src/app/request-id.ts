import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids we accept from clients or proxies: short and free of anything that could forge a log line. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: reuse the caller's `x-request-id` when it is well-formed (so one id follows
 * a request through proxies and into our logs), otherwise mint a UUID.
 */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  if (typeof given === 'string' && ACCEPTABLE_ID.test(given)) return given;
  return randomUUID();
}
