import { authorize, pwError } from '@patchwarden/core';
import type { AuthorizationResource, Permission, Principal } from '@patchwarden/core';
import type { AuditActor } from '@patchwarden/store';
import type { FastifyRequest } from 'fastify';

/** How the caller proved who they are. */
export type AuthMethod = 'session' | 'token';

/** The authenticated caller of an API request. */
export interface RequestPrincipal extends Principal {
  authMethod: AuthMethod;
  displayName: string | null;
  /** Set for session callers: the SHA-256 naming the session (not the cookie value). */
  sessionId?: string;
  /** Set for token callers. */
  tokenId?: string;
  tokenName?: string;
  tokenExpiresAt?: string;
}

/** An enrolled agent calling `/agent/v1`. */
export interface AgentPrincipal {
  agentId: string;
  assetId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin on every authenticated API request; null on public routes. */
    principal: RequestPrincipal | null;
    /** Set by the `agentAuth` preHandler on agent routes. */
    agent: AgentPrincipal | null;
  }
}

/** The caller, or PW_ERR_UNAUTHENTICATED when the route was reached without one. */
export function principalOf(request: FastifyRequest): RequestPrincipal {
  if (request.principal === null) throw pwError('PW_ERR_UNAUTHENTICATED', 'Sign in or send an API token');
  return request.principal;
}

/**
 * Throws PW_ERR_FORBIDDEN unless the caller may do `permission` (on `resource`). Route handlers of
 * every plugin call this; lists of assets filter with `assetScopeFor(principalOf(request), ...)`.
 */
export function authorizeRequest(
  request: FastifyRequest,
  permission: Permission,
  resource?: AuthorizationResource,
): RequestPrincipal {
  const principal = principalOf(request);
  if (!authorize(principal, permission, resource)) {
    throw pwError(
      'PW_ERR_FORBIDDEN',
      resource === undefined
        ? `Permission ${permission} is required`
        : `Permission ${permission} is required on asset ${resource.asset.id}`,
      { permission, ...(resource === undefined ? {} : { assetId: resource.asset.id }) },
    );
  }
  return principal;
}

/** The caller as the audit log records them: a token is named by its id, with its user's name. */
export function actorOf(principal: RequestPrincipal): AuditActor {
  return principal.authMethod === 'token'
    ? { kind: 'token', id: principal.tokenId ?? principal.userId, name: principal.username }
    : { kind: 'user', id: principal.userId, name: principal.username };
}
