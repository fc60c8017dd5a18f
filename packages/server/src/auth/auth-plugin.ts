import cookie from '@fastify/cookie';
import { pwError } from '@patchwarden/core';
import type { RoleBinding } from '@patchwarden/core';
import { AuthRepository, SecretBox } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { ServerPlugin } from '../app/build-server.ts';
import type { AuthRouteContext } from './auth-context.ts';
import { createAuthenticator } from './authenticate.ts';
import type { AssetFilterCompiler } from './authenticate.ts';
import { LoginThrottle } from './login-throttle.ts';
import type { LoginThrottleOptions } from './login-throttle.ts';
import { registerAuditRoutes } from './routes/audit-routes.ts';
import { registerEnrolmentRoutes } from './routes/enrolment-routes.ts';
import { registerLoginRoutes } from './routes/login-routes.ts';
import { registerTokenRoutes } from './routes/token-routes.ts';
import { registerUserRoutes } from './routes/user-routes.ts';
import type { OidcOptions } from './oidc/oidc-options.ts';
import { OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH, registerOidcRoutes } from './oidc/oidc-routes.ts';

export interface AuthPluginOptions {
  /** The store to authenticate against; or give a ready `repository`. */
  database?: Database;
  repository?: AuthRepository;
  /** Key for TOTP secrets (`PATCHWARDEN_SECRET_KEY`: 32 bytes as base64 or hex); without it no TOTP. */
  secretKey?: string;
  /** More routes served without authentication, as `METHOD /api/v1/path` (route templates). */
  publicRoutes?: Iterable<string>;
  /** Compiles the asset filters of `asset-filter` role bindings; without it they match nothing. */
  compileAssetFilter?: AssetFilterCompiler;
  /** Role bindings granted by identity-provider group, from configuration. */
  groupRoles?: Readonly<Record<string, readonly RoleBinding[]>>;
  loginThrottle?: LoginThrottleOptions;
  /** Single sign-on through an OpenID Connect provider; its `groupRoles` add to `groupRoles`. */
  oidc?: OidcOptions;
  /** Extra route registrations sharing the auth context (single sign-on adds its routes here). */
  extensions?: readonly ((app: FastifyInstance, context: AuthRouteContext) => void | Promise<void>)[];
}

/**
 * Served without authentication under the API prefix, whatever the options add. The version is
 * public because the OpenAPI document states it anyway; clients check it before signing in.
 */
export const DEFAULT_PUBLIC_ROUTES: readonly string[] = Object.freeze([
  'GET /openapi.json',
  'GET /version',
  'POST /auth/login',
]);

type GroupRoles = Readonly<Record<string, readonly RoleBinding[]>>;

function mergeGroupRoles(...sources: (GroupRoles | undefined)[]): GroupRoles | undefined {
  const given = sources.filter((source): source is GroupRoles => source !== undefined);
  if (given.length === 0) return undefined;
  const merged: Record<string, RoleBinding[]> = {};
  for (const source of given) {
    for (const [group, bindings] of Object.entries(source)) (merged[group] ??= []).push(...bindings);
  }
  return merged;
}

/**
 * Authentication for every route under `/api/v1` (those of the route plugins listed before it
 * too: fastify attaches hooks when the server gets ready), plus the routes of sign-in, tokens,
 * enrolment secrets, users and the audit log. Wrapped with fastify-plugin so its hook reaches the
 * sibling route plugins; the probes and `/metrics` live outside `/api/v1` and are not affected.
 */
export function authPlugin(options: AuthPluginOptions): ServerPlugin {
  const plugin: ServerPlugin = async (app) => {
    const clock = app.services.clock;
    const repository =
      options.repository ??
      (options.database
        ? new AuthRepository(options.database, {
            clock,
            ...(options.secretKey ? { secretBox: SecretBox.fromText(options.secretKey) } : {}),
          })
        : undefined);
    if (repository === undefined) {
      throw pwError('PW_ERR_INTERNAL', 'The auth plugin needs a database or a repository', {
        field: 'database',
      });
    }
    const prefix = app.prefix;
    const prefixed = (routes: readonly string[]) => routes.map((route) => route.replace(' /', ` ${prefix}/`));
    const publicRoutes = new Set([
      ...prefixed(DEFAULT_PUBLIC_ROUTES),
      ...(options.oidc ? prefixed([`GET ${OIDC_LOGIN_PATH}`, `GET ${OIDC_CALLBACK_PATH}`]) : []),
      ...(options.publicRoutes ?? []),
    ]);
    const groupRoles = mergeGroupRoles(options.groupRoles, options.oidc?.groupRoles);
    const sources = {
      repository,
      ...(options.compileAssetFilter ? { compileAssetFilter: options.compileAssetFilter } : {}),
      ...(groupRoles ? { groupRoles } : {}),
    };
    const context: AuthRouteContext = {
      repository,
      audit: repository.auditLog,
      clock,
      throttle: new LoginThrottle(options.loginThrottle),
      sources,
    };

    await app.register(cookie);
    app.decorateRequest('principal', null);
    app.decorateRequest('agent', null);
    app.addHook('onRequest', createAuthenticator({ ...sources, publicRoutes }));

    registerLoginRoutes(app, context);
    registerTokenRoutes(app, context);
    registerEnrolmentRoutes(app, context);
    registerAuditRoutes(app, context);
    registerUserRoutes(app, context);
    if (options.oidc) registerOidcRoutes(app, context, options.oidc);
    for (const extension of options.extensions ?? []) await extension(app, context);
  };
  return fastifyPlugin(plugin, { name: 'patchwarden-auth', fastify: '5.x' });
}
