import { pwError } from '@patchwarden/core';
import type { AuthRepository } from '@patchwarden/store';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

/**
 * The preHandler for `/agent/v1` routes: resolves `Authorization: Bearer <agent credential>` to
 * `request.agent = { agentId, assetId }`, or answers 401. Register the routes with
 * `{ preHandler: agentAuth(repository) }` (or add it as a hook on their plugin); the request must
 * also be decorated with `agent` (the auth plugin does it, or call `decorateAgentRequest`).
 */
export function agentAuth(repository: AuthRepository): preHandlerAsyncHookHandler {
  return async function authenticateAgent(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer +([^\s]+) *$/i.exec(header);
    const agent = match ? await repository.verifyAgentCredential(match[1]!) : undefined;
    if (!agent) {
      reply.header('www-authenticate', 'Bearer realm="patchwarden-agent"');
      throw pwError('PW_ERR_UNAUTHENTICATED', 'The agent credential is missing, unknown or revoked', {
        reason: header === undefined ? 'missing_credentials' : 'invalid_credential',
      });
    }
    request.agent = agent;
  };
}
