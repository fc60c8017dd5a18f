export { authPlugin, DEFAULT_PUBLIC_ROUTES, type AuthPluginOptions } from './auth-plugin.ts';
export type { AuthRouteContext } from './auth-context.ts';
export { agentAuth } from './agent-auth.ts';
export {
  bindingsFor,
  createAuthenticator,
  type AssetFilterCompiler,
  type PrincipalSources,
} from './authenticate.ts';
export { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
export {
  actorOf,
  authorizeRequest,
  principalOf,
  type AgentPrincipal,
  type AuthMethod,
  type RequestPrincipal,
} from './request-principal.ts';
export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './session-cookies.ts';
export type { OidcOptions } from './oidc/oidc-options.ts';
export { OIDC_CALLBACK_PATH, OIDC_LOGIN_PATH } from './oidc/oidc-routes.ts';
