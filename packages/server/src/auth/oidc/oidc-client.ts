import * as client from 'openid-client';
import { DEFAULT_OIDC_SCOPES } from './oidc-options.ts';
import type { OidcOptions } from './oidc-options.ts';

/** Who the provider says signed in. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** Candidates for the local username, best first. */
  usernames: string[];
  displayName: string | null;
  groups: string[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function groupsOf(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((group) => group !== '');
  return undefined;
}

/** The provider, discovered once on first use (the server may start before the provider is up). */
export class OidcClient {
  readonly #options: OidcOptions;
  #config: Promise<client.Configuration> | undefined;

  constructor(options: OidcOptions) {
    this.#options = options;
  }

  #configuration(): Promise<client.Configuration> {
    this.#config ??= client
      .discovery(
        new URL(this.#options.issuer),
        this.#options.clientId,
        this.#options.clientSecret,
        this.#options.clientSecret === undefined ? client.None() : undefined,
        {
          timeout: this.#options.timeoutSeconds ?? 10,
          ...(this.#options.allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((error: unknown) => {
        // Retry discovery on the next sign-in rather than caching the failure forever.
        this.#config = undefined;
        throw error;
      });
    return this.#config;
  }

  /** A new flow's secrets and the provider URL to send the browser to. */
  async start(): Promise<{ url: URL; state: string; nonce: string; verifier: string }> {
    const config = await this.#configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.#options.redirectUri,
      scope: (this.#options.scopes ?? DEFAULT_OIDC_SCOPES).join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, state, nonce, verifier };
  }

  /**
   * Exchanges the code from the callback's query for tokens, checking state, nonce, PKCE and the ID
   * token's signature, issuer, audience and expiry (openid-client does), and reads the identity.
   */
  async finish(
    query: string,
    checks: { state: string; nonce: string; verifier: string },
  ): Promise<OidcIdentity> {
    const config = await this.#configuration();
    const callback = new URL(this.#options.redirectUri);
    callback.search = query;
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    const groupsClaim = this.#options.groupsClaim ?? 'groups';
    let merged: Record<string, unknown> = { ...claims };
    if (groupsOf(claims[groupsClaim]) === undefined || text(claims['preferred_username']) === undefined) {
      // Providers that conform strictly put profile and group claims only in the userinfo answer.
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      merged = { ...userinfo, ...claims, [groupsClaim]: claims[groupsClaim] ?? userinfo[groupsClaim] };
    }
    const usernames = [merged['preferred_username'], merged['email'], claims.sub]
      .map(text)
      .filter((name): name is string => name !== undefined);
    return {
      issuer: claims.iss,
      subject: claims.sub,
      usernames,
      displayName: text(merged['name']) ?? null,
      groups: [...new Set(groupsOf(merged[groupsClaim]) ?? [])].sort(),
    };
  }
}
