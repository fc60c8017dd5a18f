import { pwError } from '@patchwarden/core';
import { normaliseUsername } from '@patchwarden/store';
import type { User } from '@patchwarden/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthRouteContext } from '../auth-context.ts';
import { setSessionCookies } from '../session-cookies.ts';
import { OidcClient } from './oidc-client.ts';
import type { OidcIdentity } from './oidc-client.ts';
import { clearFlowCookie, flowOf, safeReturnTo, setFlowCookie } from './oidc-flow-cookie.ts';
import type { OidcOptions } from './oidc-options.ts';

export const OIDC_LOGIN_PATH = '/auth/oidc/login';
export const OIDC_CALLBACK_PATH = '/auth/oidc/callback';

const OIDC_ACTOR = { kind: 'system', name: 'oidc' } as const;

type Refusal =
  'oidc_flow_missing' | 'oidc_rejected' | 'oidc_no_group' | 'oidc_username_taken' | 'account_disabled';

function usernameFor(identity: OidcIdentity): string | undefined {
  for (const candidate of identity.usernames) {
    try {
      return normaliseUsername(candidate);
    } catch {
      // Not a valid local username (spaces...): try the next claim.
    }
  }
  return undefined;
}

/**
 * `GET /auth/oidc/login` sends the browser to the provider; `GET /auth/oidc/callback` finishes the
 * code flow, finds or creates the user linked to (issuer, subject), records their groups (which
 * `groupRoles` turns into roles on every request) and starts a session. A provider account is
 * never linked to an existing local account by name: that would let whoever controls the name at
 * the provider take the local account over.
 */
export function registerOidcRoutes(
  fastify: FastifyInstance,
  context: AuthRouteContext,
  options: OidcOptions,
): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { repository, audit, clock } = context;
  const oidc = new OidcClient(options);

  async function refuse(
    request: FastifyRequest,
    reason: Refusal,
    details: Record<string, unknown> = {},
  ): Promise<never> {
    await audit.append({
      actor: {
        kind: 'user',
        ...(typeof details['username'] === 'string' ? { name: details['username'] } : {}),
      },
      action: 'auth.login_failed',
      target: { type: 'user', ...(typeof details['userId'] === 'string' ? { id: details['userId'] } : {}) },
      details: { ...details, reason, method: 'oidc', ip: request.ip },
    });
    throw pwError('PW_ERR_UNAUTHENTICATED', 'Single sign-on did not complete; start again', { reason });
  }

  async function userFor(request: FastifyRequest, identity: OidcIdentity): Promise<User> {
    const mapped = identity.groups.some((group) => options.groupRoles[group] !== undefined);
    const linked = await repository.findUserByExternalId(identity.issuer, identity.subject);
    if (!mapped && !options.allowUnmappedUsers) {
      return refuse(request, 'oidc_no_group', { subject: identity.subject, groups: identity.groups });
    }
    if (linked) {
      if (linked.disabled)
        return refuse(request, 'account_disabled', { userId: linked.id, username: linked.username });
      const sameGroups = linked.groups.join('\n') === identity.groups.join('\n');
      if (sameGroups && linked.displayName === identity.displayName) return linked;
      return repository.updateUser(
        linked.id,
        { groups: identity.groups, displayName: identity.displayName },
        OIDC_ACTOR,
      );
    }
    const username = usernameFor(identity);
    if (username === undefined || (await repository.findUserByUsername(username))) {
      return refuse(request, 'oidc_username_taken', {
        subject: identity.subject,
        username: username ?? identity.subject,
      });
    }
    return repository.createUser(
      {
        username,
        displayName: identity.displayName,
        external: { issuer: identity.issuer, subject: identity.subject },
        groups: identity.groups,
      },
      OIDC_ACTOR,
    );
  }

  app.get(
    OIDC_LOGIN_PATH,
    {
      schema: {
        summary: 'Sign in through the single sign-on provider (redirects to it)',
        tags: ['auth'],
        querystring: z.object({ returnTo: z.string().max(2000).optional() }),
        response: { 302: z.null().describe('To the provider’s authorization endpoint.') },
      },
    },
    async (request, reply) => {
      const started = await oidc.start().catch((error: unknown) => {
        request.log.error({ err: error }, 'single sign-on provider unavailable');
        throw pwError('PW_ERR_FEED_UNAVAILABLE', 'The single sign-on provider cannot be reached', {});
      });
      setFlowCookie(reply, {
        state: started.state,
        nonce: started.nonce,
        verifier: started.verifier,
        returnTo: safeReturnTo(request.query.returnTo),
      });
      return reply.redirect(started.url.href, 302);
    },
  );

  app.get(
    OIDC_CALLBACK_PATH,
    {
      schema: {
        summary: 'Where the single sign-on provider sends the browser back',
        tags: ['auth'],
        response: { 302: z.null().describe('Signed in: to the page the sign-in started from.') },
      },
    },
    async (request, reply) => {
      const flow = flowOf(request);
      clearFlowCookie(reply);
      if (!flow) return refuse(request, 'oidc_flow_missing');
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      let identity: OidcIdentity;
      try {
        identity = await oidc.finish(query, flow);
      } catch (error) {
        request.log.info({ err: error }, 'single sign-on callback rejected');
        const reason = error instanceof Error ? error.message.slice(0, 200) : 'unknown';
        return refuse(request, 'oidc_rejected', { error: reason });
      }
      const user = await userFor(request, identity);
      const issued = await repository.createSession(user.id, {
        authMethod: 'oidc',
        context: { ip: request.ip, issuer: identity.issuer },
      });
      const maxAge = Math.max(
        1,
        Math.floor((Date.parse(issued.session.expiresAt) - clock().getTime()) / 1000),
      );
      setSessionCookies(reply, issued.sessionSecret, issued.csrfToken, maxAge);
      return reply.redirect(flow.returnTo, 302);
    },
  );
}
