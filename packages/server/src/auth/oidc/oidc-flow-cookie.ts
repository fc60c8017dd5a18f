import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What the sign-in redirect must find again at the callback: the state (binds the callback to the
 * browser that started it, so nobody can log a victim into the attacker's account), the nonce (binds
 * the ID token to this flow) and the PKCE verifier. Kept in an HttpOnly cookie for ten minutes, so
 * any server process can finish the flow; SameSite=Lax lets it ride the provider's top-level redirect.
 */
export const OIDC_FLOW_COOKIE = '__Host-pw_oidc';
const MAX_AGE_SECONDS = 600;
const OPTIONS = { path: '/', secure: true, httpOnly: true, sameSite: 'lax' } as const;

export interface OidcFlow {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

export function setFlowCookie(reply: FastifyReply, flow: OidcFlow): void {
  const value = Buffer.from(JSON.stringify(flow), 'utf8').toString('base64url');
  reply.setCookie(OIDC_FLOW_COOKIE, value, { ...OPTIONS, maxAge: MAX_AGE_SECONDS });
}

export function clearFlowCookie(reply: FastifyReply): void {
  reply.clearCookie(OIDC_FLOW_COOKIE, OPTIONS);
}

export function flowOf(request: FastifyRequest): OidcFlow | undefined {
  const raw = request.cookies[OIDC_FLOW_COOKIE];
  if (raw === undefined || raw === '') return undefined;
  try {
    const flow = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<OidcFlow>;
    const fields = [flow.state, flow.nonce, flow.verifier, flow.returnTo];
    return fields.every((field) => typeof field === 'string' && field !== '')
      ? (flow as OidcFlow)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Only a path on this site: `//evil.example` or `/\evil.example` would leave it (open redirect). */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\'))
    return '/';
  return [...value].some((char) => char.charCodeAt(0) < 0x20) ? '/' : value;
}
