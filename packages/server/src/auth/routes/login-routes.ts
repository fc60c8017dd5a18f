import { effectivePermissions, pwError } from '@patchwarden/core';
import type { User } from '@patchwarden/store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthRouteContext } from '../auth-context.ts';
import { meSchema, userSchema } from '../auth-schemas.ts';
import { LoginThrottle } from '../login-throttle.ts';
import { actorOf, principalOf } from '../request-principal.ts';
import type { RequestPrincipal } from '../request-principal.ts';
import { clearSessionCookies, sessionCookieOf, setSessionCookies } from '../session-cookies.ts';

const loginBody = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(4096),
  totp: z
    .string()
    .min(6)
    .max(10)
    .optional()
    .describe('The current code of the authenticator app, when enabled.'),
});

const sessionAnswer = z
  .object({
    user: userSchema,
    csrfToken: z.string().describe('Send it back in x-csrf-token on state-changing requests.'),
    expiresAt: z.string(),
  })
  .meta({ id: 'SessionStarted', description: 'A new session; the session id travels only in its cookie.' });

type FailureReason = 'bad_credentials' | 'totp_required' | 'totp_invalid';

function requireSession(principal: RequestPrincipal): void {
  if (principal.authMethod !== 'session') {
    throw pwError('PW_ERR_FORBIDDEN', 'This needs a signed-in session, not an API token', {
      reason: 'session_required',
    });
  }
}

/** Sets the cookies and the answer of a new session (password and single sign-on alike). */
export function startSessionAnswer(
  reply: FastifyReply,
  now: Date,
  user: User,
  issued: { sessionSecret: string; csrfToken: string; session: { expiresAt: string } },
) {
  const maxAge = Math.max(1, Math.floor((Date.parse(issued.session.expiresAt) - now.getTime()) / 1000));
  setSessionCookies(reply, issued.sessionSecret, issued.csrfToken, maxAge);
  return { user, csrfToken: issued.csrfToken, expiresAt: issued.session.expiresAt };
}

export function registerLoginRoutes(fastify: FastifyInstance, context: AuthRouteContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { repository, audit, clock, throttle } = context;

  async function refuse(
    request: FastifyRequest,
    key: string,
    username: string,
    reason: FailureReason,
    user?: User,
  ) {
    const now = clock().getTime();
    const nowThrottled = throttle.fail(key, now);
    await audit.append({
      actor: { kind: 'user', name: username, ...(user ? { id: user.id } : {}) },
      action: 'auth.login_failed',
      target: { type: 'user', ...(user ? { id: user.id } : {}) },
      details: { reason, ip: request.ip, throttled: nowThrottled },
    });
    request.log.info({ reason, ip: request.ip, throttled: nowThrottled }, 'sign-in refused');
    if (reason === 'totp_required') {
      throw pwError('PW_ERR_UNAUTHENTICATED', 'A one-time code from the authenticator app is required', {
        reason,
        totpRequired: true,
      });
    }
    throw pwError('PW_ERR_UNAUTHENTICATED', 'Wrong username, password or one-time code', {
      reason: 'bad_credentials',
    });
  }

  app.post(
    '/auth/login',
    {
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
      schema: {
        summary: 'Sign in with a username and password (and a TOTP code when enabled)',
        tags: ['auth'],
        body: loginBody,
        response: { 200: sessionAnswer },
      },
    },
    async (request, reply) => {
      const { username, password, totp } = request.body;
      const key = LoginThrottle.key(username, request.ip);
      const wait = throttle.retryAfterSeconds(key, clock().getTime());
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw pwError('PW_ERR_RATE_LIMITED', `Too many failed sign-ins; retry in ${wait} s`, {
          retryAfterSeconds: wait,
        });
      }
      const user = await repository.checkPassword(username, password);
      if (!user) return refuse(request, key, username, 'bad_credentials');
      if (user.totpEnabled) {
        if (totp === undefined) return refuse(request, key, username, 'totp_required', user);
        if (!(await repository.checkTotpCode(user.id, totp)))
          return refuse(request, key, username, 'totp_invalid', user);
      }
      throttle.succeed(key);
      const issued = await repository.createSession(user.id, {
        authMethod: 'password',
        context: { ip: request.ip },
      });
      return startSessionAnswer(reply, clock(), user, issued);
    },
  );

  app.post(
    '/auth/logout',
    { schema: { summary: 'End the current session', tags: ['auth'], response: { 204: z.null() } } },
    async (request, reply) => {
      const principal = principalOf(request);
      const cookie = sessionCookieOf(request);
      if (principal.authMethod === 'session' && cookie !== undefined) {
        await repository.endSession(cookie, actorOf(principal));
      }
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    { schema: { summary: 'Who am I and what may I do', tags: ['auth'], response: { 200: meSchema } } },
    async (request) => {
      const principal = principalOf(request);
      const user = await repository.getUser(principal.userId);
      if (!user) throw pwError('PW_ERR_UNAUTHENTICATED', 'This account no longer exists');
      return {
        user,
        authMethod: principal.authMethod,
        permissions: effectivePermissions(principal),
        bindings: principal.bindings.map(({ role, scope }) => ({ role, scope })),
        ...(principal.authMethod === 'token'
          ? {
              token: {
                id: principal.tokenId!,
                name: principal.tokenName!,
                scopes: [...(principal.tokenScopes ?? [])],
                expiresAt: principal.tokenExpiresAt!,
              },
            }
          : {}),
      };
    },
  );

  app.put(
    '/auth/password',
    {
      schema: {
        summary: 'Change my password (ends every session of mine)',
        tags: ['auth'],
        body: z.object({
          currentPassword: z.string().min(1).max(4096),
          newPassword: z.string().min(1).max(4096),
        }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      requireSession(principal);
      const key = LoginThrottle.key(principal.username, request.ip);
      const wait = throttle.retryAfterSeconds(key, clock().getTime());
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw pwError('PW_ERR_RATE_LIMITED', `Too many failed attempts; retry in ${wait} s`, {
          retryAfterSeconds: wait,
        });
      }
      const checked = await repository.checkPassword(principal.username, request.body.currentPassword);
      if (!checked) {
        throttle.fail(key, clock().getTime());
        throw pwError('PW_ERR_FORBIDDEN', 'The current password is wrong', { field: 'currentPassword' });
      }
      await repository.setPassword(principal.userId, request.body.newPassword, actorOf(principal));
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/totp/setup',
    {
      schema: {
        summary: 'Start enrolling an authenticator app (confirm with a code to turn it on)',
        tags: ['auth'],
        response: { 200: z.object({ secret: z.string(), uri: z.string() }) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      requireSession(principal);
      return repository.startTotpEnrolment(principal.userId, actorOf(principal));
    },
  );

  app.post(
    '/auth/totp/confirm',
    {
      schema: {
        summary: 'Turn TOTP on with a code from the authenticator app',
        tags: ['auth'],
        body: z.object({ code: z.string().min(6).max(10) }),
        response: { 200: z.object({ totpEnabled: z.literal(true) }) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      requireSession(principal);
      if (!(await repository.confirmTotp(principal.userId, request.body.code, actorOf(principal)))) {
        throw pwError('PW_ERR_VALIDATION', 'The code is not valid for the pending authenticator secret', {
          field: 'code',
        });
      }
      return { totpEnabled: true as const };
    },
  );
}
