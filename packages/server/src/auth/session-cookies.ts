import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The `__Host-` prefix makes browsers refuse the cookie unless it is Secure, has Path=/ and no
 * Domain: no subdomain and no plain-HTTP page can plant or overwrite it.
 */
export const SESSION_COOKIE = '__Host-pw_session';
/** Readable by the web console's scripts, which echo it in `x-csrf-token`. */
export const CSRF_COOKIE = '__Host-pw_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const BASE = { path: '/', secure: true, sameSite: 'lax' } as const;

export function setSessionCookies(
  reply: FastifyReply,
  sessionSecret: string,
  csrfToken: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(SESSION_COOKIE, sessionSecret, { ...BASE, httpOnly: true, maxAge: maxAgeSeconds });
  reply.setCookie(CSRF_COOKIE, csrfToken, { ...BASE, httpOnly: false, maxAge: maxAgeSeconds });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { ...BASE, httpOnly: true });
  reply.clearCookie(CSRF_COOKIE, { ...BASE, httpOnly: false });
}

export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const value = request.cookies[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}
