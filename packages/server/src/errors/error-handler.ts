import { pwError } from '@patchwarden/core';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { toErrorResponse } from './to-error-response.ts';

/**
 * Installs the one error handler and the not-found handler on the root instance. Route plugins
 * throw (preferably a PatchwardenError); they must not set their own error handler, or their
 * answers would leave the shared shape.
 */
export function installErrorHandling(
  app: FastifyInstance,
  notFoundPreHandler?: preHandlerAsyncHookHandler,
): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(notFoundPreHandler ? { preHandler: notFoundPreHandler } : {}, (request) => {
    // Thrown so the answer goes through handleError like every other one.
    throw pwError('PW_ERR_NOT_FOUND', `No route for ${request.method} ${pathOf(request.url)}`, {
      method: request.method,
      path: pathOf(request.url),
    });
  });
}

async function handleError(thrown: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const answer = toErrorResponse(thrown, {
    requestId: String(request.id),
    bodyLimitBytes: request.routeOptions.bodyLimit,
  });
  if (answer.logLevel === 'error') {
    const cause = (thrown as { cause?: { issues?: unknown } }).cause;
    // A response that failed its schema is a bug in the handler: log what did not match.
    const issues = thrown.code === 'FST_ERR_RESPONSE_SERIALIZATION' ? cause?.issues : undefined;
    request.log.error({ err: thrown, ...(issues ? { issues } : {}) }, 'request failed');
  } else {
    request.log.info({ code: answer.body.code, status: answer.status }, answer.body.message);
  }
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
