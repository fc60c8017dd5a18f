import { pwError } from '@patchwarden/core';
import type { AssetMatcher, AuthorizationBinding, RoleBinding } from '@patchwarden/core';
import type { AuthRepository, User } from '@patchwarden/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestPrincipal } from './request-principal.ts';
import { clearSessionCookies, CSRF_HEADER, sessionCookieOf } from './session-cookies.ts';

/** Methods that change nothing: a session cookie alone is enough for them (no CSRF token). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Turns an asset-filter text into a matcher; undefined (the default) matches no asset. */
export type AssetFilterCompiler = (filter: string) => AssetMatcher | undefined;

export interface PrincipalSources {
  repository: AuthRepository;
  compileAssetFilter?: AssetFilterCompiler;
  /** Role bindings granted by identity-provider group, from configuration (added to stored ones). */
  groupRoles?: Readonly<Record<string, readonly RoleBinding[]>>;
}

export interface AuthenticatorOptions extends PrincipalSources {
  /** `METHOD /full/route/template` pairs served without authentication. */
  publicRoutes: ReadonlySet<string>;
}

/** The role bindings that apply to `user`, with asset filters compiled. */
export async function bindingsFor(user: User, sources: PrincipalSources): Promise<AuthorizationBinding[]> {
  const stored: RoleBinding[] = await sources.repository.bindingsForUser(user);
  const configured = user.groups.flatMap((group) => sources.groupRoles?.[group] ?? []);
  return [...stored, ...configured].map((binding) => {
    if (binding.scope.kind !== 'asset-filter') return { role: binding.role, scope: binding.scope };
    const matches = sources.compileAssetFilter?.(binding.scope.filter);
    return matches
      ? { role: binding.role, scope: binding.scope, matches }
      : { role: binding.role, scope: binding.scope };
  });
}

function unauthenticated(reply: FastifyReply, message: string, reason: string): never {
  reply.header(
    'www-authenticate',
    `Bearer realm="patchwarden"${reason === 'invalid_token' ? ', error="invalid_token"' : ''}`,
  );
  throw pwError('PW_ERR_UNAUTHENTICATED', message, { reason });
}

function bearerOf(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  if (!match)
    unauthenticated(
      reply,
      'The Authorization header must be "Bearer <API token>"',
      'malformed_authorization',
    );
  return match[1];
}

export function isPublicRoute(request: FastifyRequest, publicRoutes: ReadonlySet<string>): boolean {
  const url = request.routeOptions.url;
  if (url === undefined) return false;
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  return publicRoutes.has(`${method} ${url}`);
}

/**
 * The onRequest hook: resolves the caller from a bearer API token or from the session cookie, and
 * on state-changing requests with a cookie demands the CSRF token in `x-csrf-token`. A request
 * with a bearer token is judged by the token alone (no fallback to the cookie), and it needs no
 * CSRF token: browsers never attach it by themselves.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  const { repository } = options;
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (isPublicRoute(request, options.publicRoutes)) return;

    const bearer = bearerOf(request, reply);
    if (bearer !== undefined) {
      const found = await repository.verifyToken(bearer);
      if (!found) unauthenticated(reply, 'The API token is unknown, expired or revoked', 'invalid_token');
      const principal: RequestPrincipal = {
        kind: 'token',
        authMethod: 'token',
        userId: found.user.id,
        username: found.user.username,
        displayName: found.user.displayName,
        bindings: await bindingsFor(found.user, options),
        tokenScopes: found.token.scopes,
        tokenId: found.token.id,
        tokenName: found.token.name,
        tokenExpiresAt: found.token.expiresAt,
      };
      request.principal = principal;
      return;
    }

    const cookie = sessionCookieOf(request);
    if (cookie === undefined) unauthenticated(reply, 'Sign in or send an API token', 'missing_credentials');
    const use = await repository.verifySession(cookie);
    if (!use) {
      clearSessionCookies(reply);
      unauthenticated(reply, 'The session has expired or was ended; sign in again', 'session_expired');
    }
    if (!SAFE_METHODS.has(request.method)) {
      const header = request.headers[CSRF_HEADER];
      if (!repository.checkCsrf(use, typeof header === 'string' ? header : undefined)) {
        throw pwError(
          'PW_ERR_FORBIDDEN',
          `A state-changing request with a session cookie needs the ${CSRF_HEADER} header`,
          {
            reason: 'csrf',
            field: CSRF_HEADER,
          },
        );
      }
    }
    request.principal = {
      kind: 'user',
      authMethod: 'session',
      userId: use.user.id,
      username: use.user.username,
      displayName: use.user.displayName,
      bindings: await bindingsFor(use.user, options),
      sessionId: use.session.id,
    };
  };
}
