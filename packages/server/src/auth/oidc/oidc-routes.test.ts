import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AuthRepository, openDatabase } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTarget } from '../../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../../store/src/testing/test-database.ts';
import { buildServer } from '../../app/build-server.ts';
import { authPlugin } from '../auth-plugin.ts';
import { SESSION_COOKIE } from '../session-cookies.ts';
import { OIDC_FLOW_COOKIE, safeReturnTo } from './oidc-flow-cookie.ts';

const REDIRECT_URI = 'https://patchwarden.test/api/v1/auth/oidc/callback';
const CLIENT = { client_id: 'patchwarden', client_secret: 'a-client-secret-only-for-these-tests' };

/** The people the identity provider knows, with the groups it reports for them. */
const ACCOUNTS: Record<string, { name: string; email: string; groups: string[] }> = {
  alice: { name: 'Alice Admin', email: 'alice@example.test', groups: ['pw-admins', 'staff'] },
  otto: { name: 'Otto Operator', email: 'otto@example.test', groups: ['web-ops'] },
  mallory: { name: 'Mallory', email: 'mallory@example.test', groups: ['marketing'] },
  admin: { name: 'Not The Local Admin', email: 'admin@example.test', groups: ['pw-admins'] },
};

/** A tiny browser: keeps the provider's cookies and lets us see every redirect. */
class Browser {
  readonly #jar = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.#jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      this.#jar.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    return response;
  }

  /** Follows the provider's pages, signing in as `login` and consenting, up to our callback URL. */
  async signIn(authorizationUrl: string, login: string, issuer: string): Promise<URL> {
    let response = await this.fetch(authorizationUrl);
    for (let step = 0; step < 12; step++) {
      const location = response.headers.get('location');
      if (location) {
        const next = new URL(location, issuer);
        if (next.href.startsWith(REDIRECT_URI)) return next;
        response = await this.fetch(next.href);
        continue;
      }
      const html = await response.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      if (!action || !prompt)
        throw new Error(`Unexpected provider page (${response.status}): ${html.slice(0, 300)}`);
      const form: Record<string, string> =
        prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
      response = await this.fetch(new URL(action, issuer).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    }
    throw new Error('The provider never redirected back');
  }
}

describe('single sign-on against a real OpenID Connect provider on loopback', () => {
  let target: TestTarget;
  let database: Database;
  let repository: AuthRepository;
  let app: FastifyInstance;
  let idp: Server;
  let issuer: string;

  beforeAll(async () => {
    idp = createServer();
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          ...CLIENT,
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email'],
        groups: ['groups'],
      },
      scopes: ['openid', 'profile', 'email', 'groups'],
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      cookies: { keys: ['cookie-signing-key-for-tests'] },
      async findAccount(_ctx, sub) {
        const account = ACCOUNTS[sub];
        if (!account) return undefined;
        return { accountId: sub, claims: async () => ({ sub, preferred_username: sub, ...account }) };
      },
    });
    idp.on('request', provider.callback());

    target = await freshTarget('embedded');
    database = await openDatabase(target.options);
    repository = new AuthRepository(database);
    await repository.createUser(
      { username: 'admin', password: 'the local admin password' },
      { kind: 'system' },
    );
    app = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      plugins: [
        authPlugin({
          repository,
          oidc: {
            issuer,
            ...{ clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret },
            redirectUri: REDIRECT_URI,
            allowInsecureRequests: true,
            groupRoles: {
              'pw-admins': [{ role: 'admin', scope: { kind: 'global' } }],
              'web-ops': [{ role: 'operator', scope: { kind: 'team', team: 'web' } }],
            },
          },
        }),
      ],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    // fetch keeps connections alive: close them, or close() waits for their idle timeout.
    idp?.closeAllConnections();
    await new Promise((resolve) => idp?.close(resolve));
    await database?.close();
    await target?.remove();
  });

  async function signIn(login: string, returnTo = '/assets?view=mine') {
    const start = await app.inject({
      method: 'GET',
      url: `/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`,
    });
    expect(start.statusCode).toBe(302);
    const authorization = new URL(start.headers.location as string);
    const flowCookie = start.cookies.find((c) => c.name === OIDC_FLOW_COOKIE)!;
    expect(flowCookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    const callback = await new Browser().signIn(authorization.href, login, issuer);
    const done = await app.inject({
      method: 'GET',
      url: `${callback.pathname}${callback.search}`,
      cookies: { [OIDC_FLOW_COOKIE]: flowCookie.value },
    });
    return { authorization, callback, done, flowCookie: flowCookie.value };
  }

  function sessionOf(response: LightMyRequestResponse) {
    return { cookies: { [SESSION_COOKIE]: response.cookies.find((c) => c.name === SESSION_COOKIE)!.value } };
  }

  it('runs the code flow with PKCE and maps the groups claim to roles', async () => {
    const { authorization, callback, done } = await signIn('alice');
    expect(authorization.origin).toBe(issuer);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(authorization.searchParams.get('scope')).toBe('openid profile email groups');
    expect(callback.searchParams.get('code')).toBeTruthy();

    expect(done.statusCode, done.body).toBe(302);
    expect(done.headers.location).toBe('/assets?view=mine');
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', ...sessionOf(done) });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({
      username: 'alice',
      displayName: 'Alice Admin',
      hasPassword: false,
      external: { issuer, subject: 'alice' },
      groups: ['pw-admins', 'staff'],
    });
    expect(me.json().permissions).toContain('users:manage');
    expect(me.json().bindings).toEqual([{ role: 'admin', scope: { kind: 'global' } }]);

    const otto = await signIn('otto', '//evil.example/steal');
    expect(otto.done.headers.location).toBe('/');
    const ottoMe = (
      await app.inject({ method: 'GET', url: '/api/v1/auth/me', ...sessionOf(otto.done) })
    ).json();
    expect(ottoMe.bindings).toEqual([{ role: 'operator', scope: { kind: 'team', team: 'web' } }]);
    expect(ottoMe.permissions).not.toContain('users:manage');

    // The second sign-in finds the linked account rather than creating another.
    await signIn('alice');
    expect((await repository.listUsers()).map((u) => u.username)).toEqual(['admin', 'alice', 'otto']);
    const sessions = await repository.auditLog.query({ action: 'session.create' });
    expect(sessions.entries[0]!.details).toMatchObject({ authMethod: 'oidc', issuer });
  });

  it('refuses users in no mapped group, names taken by local accounts, and replayed or forged callbacks', async () => {
    const mallory = await signIn('mallory');
    expect(mallory.done.statusCode).toBe(401);
    expect(mallory.done.json()).toMatchObject({
      code: 'PW_ERR_UNAUTHENTICATED',
      details: { reason: 'oidc_no_group' },
    });

    // "admin" at the provider must not become the local admin.
    const impostor = await signIn('admin');
    expect(impostor.done.statusCode).toBe(401);
    expect(impostor.done.json().details.reason).toBe('oidc_username_taken');
    expect(await repository.findUserByExternalId(issuer, 'admin')).toBeUndefined();

    const good = await signIn('alice');
    expect(good.done.statusCode).toBe(302);
    const replay = await app.inject({
      method: 'GET',
      url: `${good.callback.pathname}${good.callback.search}`,
      cookies: { [OIDC_FLOW_COOKIE]: good.flowCookie },
    });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().details.reason).toBe('oidc_rejected');
    const noFlow = await app.inject({
      method: 'GET',
      url: `${good.callback.pathname}${good.callback.search}`,
    });
    expect(noFlow.json().details.reason).toBe('oidc_flow_missing');

    // A callback carrying another browser's state (login CSRF) fails the state check.
    const victim = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    const attacker = await signIn('otto');
    const crossed = await app.inject({
      method: 'GET',
      url: `${attacker.callback.pathname}${attacker.callback.search}`,
      cookies: { [OIDC_FLOW_COOKIE]: victim.cookies.find((c) => c.name === OIDC_FLOW_COOKIE)!.value },
    });
    expect(crossed.statusCode).toBe(401);

    const failures = await repository.auditLog.query({ action: 'auth.login_failed' });
    expect(failures.entries.map((e) => (e.details as { reason: string }).reason)).toEqual(
      expect.arrayContaining(['oidc_no_group', 'oidc_username_taken', 'oidc_rejected', 'oidc_flow_missing']),
    );
    expect((await repository.auditLog.verify()).ok).toBe(true);
  });

  it('keeps return paths on this site', () => {
    expect(safeReturnTo('/findings?x=1')).toBe('/findings?x=1');
    for (const bad of [
      undefined,
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'assets',
      '/a\nb',
    ]) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});
