import type { RoleBinding } from '@patchwarden/core';

/** Single sign-on through an OpenID Connect provider (authorization code flow with PKCE). */
export interface OidcOptions {
  /** The provider's issuer URL; its discovery document is read on first use. */
  issuer: string;
  clientId: string;
  /** For a confidential client (client_secret_basic); omit for a public client (PKCE only). */
  clientSecret?: string;
  /** This server's callback as the provider knows it: `https://<host>/api/v1/auth/oidc/callback`. */
  redirectUri: string;
  /** Scopes asked for; default `openid profile email groups`. */
  scopes?: readonly string[];
  /** The claim that lists the user's groups (default `groups`). */
  groupsClaim?: string;
  /** Roles granted by group. A user in none of these groups is refused unless `allowUnmappedUsers`. */
  groupRoles: Readonly<Record<string, readonly RoleBinding[]>>;
  /** Let users without a mapped group sign in (they get only roles bound to them in Patchwarden). */
  allowUnmappedUsers?: boolean;
  /** Allow an `http:` issuer: for tests and development on loopback only. */
  allowInsecureRequests?: boolean;
  /** Seconds to wait for the provider (default 10). */
  timeoutSeconds?: number;
}

export const DEFAULT_OIDC_SCOPES: readonly string[] = Object.freeze(['openid', 'profile', 'email', 'groups']);
