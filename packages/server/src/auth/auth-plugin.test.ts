import { assetScopeFor, pwError } from '@patchwarden/core';
import type { Asset } from '@patchwarden/core';
import { AuthRepository, openDatabase, SecretBox, totpCode, base32Decode } from '@patchwarden/store';
import type { Database, User } from '@patchwarden/store';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTarget } from '../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../store/src/testing/test-database.ts';
import { captureLogs } from '../../test/log-capture.ts';
import { buildServer } from '../app/build-server.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { agentAuth } from './agent-auth.ts';
import { authPlugin } from './auth-plugin.ts';
import { authorizeRequest, principalOf } from './request-principal.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from './session-cookies.ts';

const DAY = 24 * 60 * 60 * 1000;
const SYSTEM = { kind: 'system', name: 'test' } as const;

function asset(id: string, ownerTeam: string): Asset {
  return {
    id,
    name: id,
    kind: 'server',
    ips: [],
    macs: [],
    services: [],
    tags: [],
    assetClasses: [],
    sources: ['manual'],
    ownerTeam,
  };
}

const ASSETS = new Map([
  ['web-1', asset('web-1', 'web')],
  ['web-2', asset('web-2', 'web')],
  ['db-1', asset('db-1', 'dba')],
]);

/** A minimal feature plugin, as other helpers write them: it only calls authorizeRequest. */
const assetsPlugin: FastifyPluginAsyncZod = async (app) => {
  app.get('/test-assets', async (request) => {
    const scope = assetScopeFor(principalOf(request), 'assets:read');
    const visible = [...ASSETS.values()].filter(
      (a) => scope.kind === 'all' || (scope.kind === 'some' && scope.matches(a)),
    );
    return { items: visible.map((a) => a.id) };
  });
  app.put(
    '/test-assets/:id',
    { schema: { params: z.object({ id: z.string() }), body: z.object({ name: z.string() }) } },
    async (request) => {
      const target = ASSETS.get(request.params.id);
      if (!target) throw pwError('PW_ERR_NOT_FOUND', 'no asset');
      authorizeRequest(request, 'assets:write', { kind: 'asset', asset: target });
      return { id: target.id, name: request.body.name };
    },
  );
};

interface Signed {
  cookie: string;
  csrf: string;
  user: User;
}

describe('the auth plugin on a real server and store', () => {
  let target: TestTarget;
  let database: Database;
  let repository: AuthRepository;
  let app: FastifyInstance;
  let now = Date.parse('2025-09-01T10:00:00.000Z');
  const clock = () => new Date(now);
  const logs = captureLogs('debug');
  const users: Record<string, User> = {};
  const PASSWORD = 'Sup3r-Secret-Passphrase';

  beforeAll(async () => {
    target = await freshTarget('embedded');
    database = await openDatabase(target.options);
    repository = new AuthRepository(database, { clock, secretBox: new SecretBox(Buffer.alloc(32, 3)) });
    app = await buildServer({
      logger: logs.logger,
      metrics: { defaultMetrics: false },
      services: { clock },
      // The feature plugin is listed first on purpose: the hook must cover it all the same.
      plugins: [
        assetsPlugin,
        authPlugin({ repository, loginThrottle: { maxFailures: 5, windowMs: 15 * 60_000 } }),
      ],
    });
    app.get('/agent/v1/ping', { preHandler: agentAuth(repository) }, async (request) => request.agent);
    await app.ready();
    for (const [name, role, scope] of [
      ['admin', 'admin', { kind: 'global' }],
      ['olivia', 'operator', { kind: 'team', team: 'web' }],
      ['victor', 'viewer', { kind: 'global' }],
      ['aude', 'auditor', { kind: 'global' }],
    ] as const) {
      users[name] = await repository.createUser({ username: name, password: PASSWORD }, SYSTEM);
      await repository.addRoleBinding({ userId: users[name]!.id, role, scope }, SYSTEM);
    }
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await target?.remove();
  });

  function cookieValue(response: LightMyRequestResponse, name: string): string | undefined {
    return response.cookies.find((c) => c.name === name)?.value;
  }

  async function login(
    username: string,
    remoteAddress = '10.0.0.1',
    extra: Record<string, string> = {},
  ): Promise<Signed> {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: PASSWORD, ...extra },
      remoteAddress,
    });
    expect(response.statusCode, response.body).toBe(200);
    return {
      cookie: cookieValue(response, SESSION_COOKIE)!,
      csrf: response.json().csrfToken,
      user: response.json().user,
    };
  }

  function asSession(signed: Signed, csrf: string | undefined = signed.csrf) {
    return {
      cookies: { [SESSION_COOKIE]: signed.cookie },
      headers: csrf === undefined ? {} : { 'x-csrf-token': csrf },
    };
  }

  async function newToken(signed: Signed, scopes: string[], extra: Record<string, unknown> = {}) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: `t-${scopes.join('-')}`, scopes, ...extra },
      ...asSession(signed),
    });
    return response;
  }

  it('refuses every API route without credentials, except the allowlist and the probes', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/tokens'],
      ['POST', '/api/v1/enrolment-secrets'],
      ['GET', '/api/v1/audit'],
      ['GET', '/api/v1/test-assets'],
      ['GET', '/api/v1/users'],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json()).toMatchObject({
        code: 'PW_ERR_UNAUTHENTICATED',
        details: { reason: 'missing_credentials' },
      });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="patchwarden"/);
    }
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    const openapi = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(openapi.statusCode).toBe(200);
    expect(Object.keys(openapi.json().paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/tokens',
        '/api/v1/audit/export',
        '/api/v1/users/{id}',
      ]),
    );
    // Public by default: the OpenAPI document carries the version anyway.
    expect((await app.inject({ method: 'GET', url: '/api/v1/version' })).statusCode).toBe(200);
  });

  it('signs in with a password: __Host- cookies with Secure, HttpOnly, SameSite=Lax; failures are audited', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'victor', password: 'not it at all' },
      remoteAddress: '10.9.9.9',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({
      code: 'PW_ERR_UNAUTHENTICATED',
      message: 'Wrong username, password or one-time code',
    });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'nobody', password: 'not it at all' },
      remoteAddress: '10.9.9.9',
    });
    expect(unknown.json()).toEqual(wrong.json());

    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'Victor', password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const session = response.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(session).toMatchObject({
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: 12 * 60 * 60,
    });
    expect(session.domain).toBeUndefined();
    const csrf = response.cookies.find((c) => c.name === CSRF_COOKIE)!;
    expect(csrf).toMatchObject({ path: '/', secure: true, sameSite: 'Lax' });
    expect(csrf.httpOnly).toBeUndefined();
    expect(csrf.value).toBe(response.json().csrfToken);
    expect(response.json().user).toMatchObject({ username: 'victor' });
    expect(JSON.stringify(response.json())).not.toContain(session.value);

    const failures = await repository.auditLog.query({ action: 'auth.login_failed', from: new Date(now) });
    expect(
      failures.entries
        .slice(0, 2)
        .map((e) => [e.actor.name, (e.details as { reason: string; ip: string }).ip]),
    ).toEqual([
      ['nobody', '10.9.9.9'],
      ['victor', '10.9.9.9'],
    ]);
    expect((await repository.auditLog.query({ action: 'session.create' })).entries[0]!.details).toMatchObject(
      {
        userId: users['victor']!.id,
        authMethod: 'password',
        ip: '127.0.0.1',
      },
    );
  });

  it('requires the CSRF token for state-changing requests made with the session cookie', async () => {
    const victor = await login('victor');
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/auth/me', ...asSession(victor, undefined) }))
        .statusCode,
    ).toBe(200);
    const missing = await newToken({ ...victor, csrf: undefined as unknown as string }, ['assets:read']);
    expect(missing.statusCode).toBe(403);
    expect(missing.json()).toMatchObject({ code: 'PW_ERR_FORBIDDEN', details: { reason: 'csrf' } });
    const other = await login('victor');
    const crossed = await newToken({ ...victor, csrf: other.csrf }, ['assets:read']);
    expect(crossed.statusCode).toBe(403);
    const forged = await newToken({ ...victor, csrf: 'pwc_' + 'A'.repeat(43) }, ['assets:read']);
    expect(forged.statusCode).toBe(403);
    const ok = await newToken(victor, ['assets:read']);
    expect(ok.statusCode).toBe(201);
    const unknownCookie = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { [SESSION_COOKIE]: 'pws_' + 'B'.repeat(43) },
    });
    expect(unknownCookie.statusCode).toBe(401);
    expect(unknownCookie.json().details.reason).toBe('session_expired');
  });

  it('issues API tokens once and authenticates them; expired, revoked and malformed tokens are refused', async () => {
    const victor = await login('victor');
    const created = await newToken(victor, ['assets:read', 'tokens:own']);
    expect(created.statusCode).toBe(201);
    const { token, secret } = created.json() as { token: { id: string; expiresAt: string }; secret: string };
    expect(Date.parse(token.expiresAt) - now).toBe(90 * DAY);
    const listed = await app.inject({ method: 'GET', url: '/api/v1/tokens', ...asSession(victor) });
    expect(listed.json().items.map((t: { id: string }) => t.id)).toContain(token.id);
    expect(listed.body).not.toContain(secret.slice(4));

    const bearer = { authorization: `Bearer ${secret}` };
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      authMethod: 'token',
      permissions: ['assets:read', 'tokens:own'],
      token: { id: token.id },
    });
    // No CSRF token with a bearer token: browsers never send it on their own.
    const minted = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer,
      payload: { name: 'child', scopes: ['assets:read'], expiresInDays: 1 },
    });
    expect(minted.statusCode).toBe(201);
    // A token cannot mint a token wider than itself, nor can a viewer grant what it lacks.
    const wider = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer,
      payload: { name: 'wider', scopes: ['findings:read'] },
    });
    expect(wider.statusCode).toBe(403);
    expect(wider.json().details.permissions).toEqual(['findings:read']);
    expect((await newToken(victor, ['assets:write'])).statusCode).toBe(403);

    for (const header of [`Bearer ${secret}x`, 'Bearer pwt_nope', `Basic ${secret}`, 'Bearer']) {
      const refused = await app.inject({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: { authorization: header },
      });
      expect(refused.statusCode, header).toBe(401);
    }

    const revoke = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${token.id}`,
      ...asSession(victor),
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json().revokedAt).not.toBeNull();
    const afterRevoke = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
    expect(afterRevoke.statusCode).toBe(401);
    expect(afterRevoke.json().details.reason).toBe('invalid_token');

    const childSecret = minted.json().secret as string;
    now += DAY;
    const expired = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${childSecret}` },
    });
    expect(expired.statusCode).toBe(401);
    now -= DAY;

    // Another user's token is "not found" to a user who does not manage tokens.
    const olivia = await login('olivia');
    const hers = (await newToken(olivia, ['assets:read'])).json().token.id as string;
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${hers}`, ...asSession(victor) }))
        .statusCode,
    ).toBe(404);
    const admin = await login('admin');
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${hers}`, ...asSession(admin) })).statusCode,
    ).toBe(200);
    const all = await app.inject({ method: 'GET', url: '/api/v1/tokens?all=true', ...asSession(admin) });
    expect(all.json().items.length).toBeGreaterThanOrEqual(4);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/tokens?all=true', ...asSession(victor) })).statusCode,
    ).toBe(403);
  });

  it('lets a team-scoped operator act on its team’s assets only', async () => {
    const olivia = await login('olivia');
    const own = await app.inject({
      method: 'PUT',
      url: '/api/v1/test-assets/web-1',
      payload: { name: 'w' },
      ...asSession(olivia),
    });
    expect(own.statusCode).toBe(200);
    const other = await app.inject({
      method: 'PUT',
      url: '/api/v1/test-assets/db-1',
      payload: { name: 'd' },
      ...asSession(olivia),
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({
      code: 'PW_ERR_FORBIDDEN',
      details: { permission: 'assets:write', assetId: 'db-1' },
    });
    const list = await app.inject({ method: 'GET', url: '/api/v1/test-assets', ...asSession(olivia) });
    expect(list.json()).toEqual({ items: ['web-1', 'web-2'] });
    const victor = await login('victor');
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/test-assets', ...asSession(victor) })).json().items,
    ).toHaveLength(3);
    const viewerWrite = await app.inject({
      method: 'PUT',
      url: '/api/v1/test-assets/web-1',
      payload: { name: 'w' },
      ...asSession(victor),
    });
    expect(viewerWrite.statusCode).toBe(403);
    // A token of the operator scoped to reading cannot write even its own team's assets.
    const readOnly = (await newToken(olivia, ['assets:read'])).json().secret as string;
    const tokenWrite = await app.inject({
      method: 'PUT',
      url: '/api/v1/test-assets/web-1',
      payload: { name: 'w' },
      headers: { authorization: `Bearer ${readOnly}` },
    });
    expect(tokenWrite.statusCode).toBe(403);
  });

  it('throttles failed sign-ins per username and address, and audits them', async () => {
    const before = (await repository.auditLog.query({ action: 'auth.login_failed' }, { limit: 1000 })).entries
      .length;
    const attempt = (password: string, remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'aude', password },
        remoteAddress,
      });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong password!', '192.0.2.7')).statusCode).toBe(401);
    const blocked = await attempt(PASSWORD, '192.0.2.7');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({
      code: 'PW_ERR_RATE_LIMITED',
      details: { retryAfterSeconds: 900 },
    });
    expect(blocked.headers['retry-after']).toBe('900');
    // The same user from elsewhere is not locked out.
    expect((await attempt(PASSWORD, '192.0.2.8')).statusCode).toBe(200);
    now += 15 * 60_000;
    expect((await attempt(PASSWORD, '192.0.2.7')).statusCode).toBe(200);
    const after = await repository.auditLog.query({ action: 'auth.login_failed' }, { limit: 1000 });
    expect(after.entries.length - before).toBe(5);
    expect(after.entries[0]!.details).toMatchObject({
      reason: 'bad_credentials',
      ip: '192.0.2.7',
      throttled: true,
    });
  });

  it('serves the audit log to auditors: search, streamed export and verification', async () => {
    const aude = await login('aude');
    const olivia = await login('olivia');
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit', ...asSession(olivia) })).statusCode).toBe(
      403,
    );
    const page = await app.inject({
      method: 'GET',
      url: '/api/v1/audit?action=session.*&limit=3',
      ...asSession(aude),
    });
    expect(page.statusCode).toBe(200);
    expect(page.json().items).toHaveLength(3);
    expect(page.json().nextBeforeSeq).toBe(page.json().items[2].seq);

    // Anyone can put text in the log through a failed sign-in: the export must not run it.
    const evil = '=HYPERLINK("http://evil.example/x")';
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: evil, password: 'whatever it is' },
    });
    const csv = await app.inject({
      method: 'GET',
      url: '/api/v1/audit/export?format=csv&action=auth.login_failed',
      ...asSession(aude),
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="patchwarden-audit-2025-09-01\.csv"$/,
    );
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(/^"seq","at",/);
    const failed = (await repository.auditLog.query({ action: 'auth.login_failed' }, { limit: 1000 }))
      .entries;
    expect(lines).toHaveLength(1 + failed.length);
    expect(lines.at(-1)).toContain(`"'=HYPERLINK(""http://evil.example/x"")"`);
    expect(csv.body).not.toMatch(/(^|,)"[=+@-]/m);

    const json = await app.inject({
      method: 'GET',
      url: '/api/v1/audit/export?format=json',
      ...asSession(aude),
    });
    const entries = JSON.parse(json.body) as { seq: number; action: string }[];
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, index) => index + 1));
    expect(entries.at(-1)!.action).toBe('audit.export');

    const verified = await app.inject({ method: 'GET', url: '/api/v1/audit/verify', ...asSession(aude) });
    expect(verified.json()).toMatchObject({ ok: true, checked: entries.length });
    const victor = await login('victor');
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/audit/export', ...asSession(victor) })).statusCode,
    ).toBe(403);
  });

  it('lets admins manage users and role bindings, and no one else', async () => {
    const admin = await login('admin');
    const victor = await login('victor');
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: {
        username: 'nina',
        password: 'nina-long-password',
        roles: [{ role: 'operator', scope: { kind: 'team', team: 'dba' } }],
      },
      ...asSession(admin),
    });
    expect(created.statusCode).toBe(201);
    const nina = created.json() as { user: User; bindings: { role: string }[] };
    expect(nina.bindings.map((b) => b.role)).toEqual(['operator']);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/users',
          payload: { username: 'x' },
          ...asSession(victor),
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/users',
          payload: { username: 'nina' },
          ...asSession(admin),
        })
      ).statusCode,
    ).toBe(409);

    const ninaSession = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'nina', password: 'nina-long-password' },
    });
    const ninaCookie = { cookies: { [SESSION_COOKIE]: cookieValue(ninaSession, SESSION_COOKIE)! } };
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/api/v1/test-assets/db-1',
          payload: { name: 'd' },
          ...ninaCookie,
          headers: { 'x-csrf-token': ninaSession.json().csrfToken },
        })
      ).statusCode,
    ).toBe(200);

    const disabled = await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${nina.user.id}`,
      payload: { disabled: true },
      ...asSession(admin),
    });
    expect(disabled.json()).toMatchObject({ disabled: true });
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', ...ninaCookie })).statusCode).toBe(401);
    expect(
      (
        await app.inject({
          method: 'PATCH',
          url: `/api/v1/users/${users['admin']!.id}`,
          payload: { disabled: true },
          ...asSession(admin),
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/users/${users['admin']!.id}`,
          ...asSession(admin),
        })
      ).statusCode,
    ).toBe(409);

    const group = await app.inject({
      method: 'POST',
      url: '/api/v1/role-bindings',
      payload: { group: 'sre', role: 'viewer', scope: { kind: 'global' } },
      ...asSession(admin),
    });
    expect(group.statusCode).toBe(201);
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/role-bindings/${group.json().id}`,
          ...asSession(admin),
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/users/${nina.user.id}`, ...asSession(admin) }))
        .statusCode,
    ).toBe(204);
    const aude = await login('aude');
    expect((await app.inject({ method: 'GET', url: '/api/v1/users', ...asSession(aude) })).statusCode).toBe(
      200,
    );
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/users/${users['victor']!.id}`,
          ...asSession(aude),
        })
      ).statusCode,
    ).toBe(403);
  });

  it('signs in with TOTP once enrolled, and signs out', async () => {
    const victor = await login('victor');
    const setup = await app.inject({ method: 'POST', url: '/api/v1/auth/totp/setup', ...asSession(victor) });
    expect(setup.statusCode).toBe(200);
    const seed = base32Decode(setup.json().secret);
    const confirm = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/confirm',
      payload: { code: totpCode(seed, now) },
      ...asSession(victor),
    });
    expect(confirm.json()).toEqual({ totpEnabled: true });
    now += 30_000;
    const withoutCode = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'victor', password: PASSWORD },
      remoteAddress: '10.1.1.1',
    });
    expect(withoutCode.statusCode).toBe(401);
    expect(withoutCode.json().details).toEqual({ reason: 'totp_required', totpRequired: true });
    const signed = await login('victor', '10.1.1.1', { totp: totpCode(seed, now) });
    // The same code again is a replay.
    const replay = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'victor', password: PASSWORD, totp: totpCode(seed, now) },
      remoteAddress: '10.1.1.1',
    });
    expect(replay.statusCode).toBe(401);

    const logout = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', ...asSession(signed) });
    expect(logout.statusCode).toBe(204);
    expect(logout.cookies.find((c) => c.name === SESSION_COOKIE)?.value).toBe('');
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/auth/me', ...asSession(signed) })).statusCode,
    ).toBe(401);
    const admin = await login('admin');
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: `/api/v1/users/${users['victor']!.id}/totp`,
          ...asSession(admin),
        })
      ).statusCode,
    ).toBe(204);
    await login('victor');
  });

  it('authenticates agents on /agent/v1 with their credential only', async () => {
    const admin = await login('admin');
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/enrolment-secrets',
      payload: { name: 'lab', maxUses: 2 },
      ...asSession(admin),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().enrolmentSecret).toMatchObject({ name: 'lab', maxUses: 2, uses: 0 });
    const assetId = '0b7d5a52-4e4a-4f39-8d9c-9a3c1b2e6f70';
    const { agent, credential } = await repository.enrolAgent({ secret: created.json().secret, assetId });
    const ping = await app.inject({
      method: 'GET',
      url: '/agent/v1/ping',
      headers: { authorization: `Bearer ${credential}` },
    });
    expect(ping.json()).toEqual({ agentId: agent.id, assetId });
    const apiToken = (await newToken(admin, ['assets:read'])).json().secret as string;
    for (const authorization of [undefined, `Bearer ${apiToken}`, 'Bearer pwa_' + 'C'.repeat(43)]) {
      const refused = await app.inject({
        method: 'GET',
        url: '/agent/v1/ping',
        headers: authorization ? { authorization } : {},
      });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe('PW_ERR_UNAUTHENTICATED');
    }
    const olivia = await login('olivia');
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/enrolment-secrets',
          payload: { name: 'x' },
          ...asSession(olivia),
        })
      ).statusCode,
    ).toBe(403);
  });

  it('builds its own repository from a database and a secret key', async () => {
    const other = await buildServer({
      logger: false,
      metrics: { defaultMetrics: false },
      services: { clock },
      plugins: [authPlugin({ database, secretKey: Buffer.alloc(32, 9).toString('base64') })],
    });
    try {
      expect((await other.inject({ method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);
      const signedIn = await other.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'aude', password: PASSWORD },
      });
      const session = {
        cookies: { [SESSION_COOKIE]: cookieValue(signedIn, SESSION_COOKIE)! },
        headers: { 'x-csrf-token': signedIn.json().csrfToken },
      };
      const setup = await other.inject({ method: 'POST', url: '/api/v1/auth/totp/setup', ...session });
      expect(setup.statusCode).toBe(200);
      expect(setup.json().uri).toMatch(/^otpauth:\/\/totp\/Patchwarden:aude\?/);
    } finally {
      await other.close();
    }
    await expect(
      buildServer({ logger: false, metrics: { defaultMetrics: false }, plugins: [authPlugin({})] }),
    ).rejects.toMatchObject({ code: 'PW_ERR_INTERNAL', details: { field: 'database' } });
  });

  it('never writes a secret to the logs', async () => {
    const admin = await login('admin');
    const token = (await newToken(admin, ['assets:read'])).json().secret as string;
    await app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const enrolment = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/enrolment-secrets',
        payload: { name: 'logs' },
        ...asSession(admin),
      })
    ).json().secret as string;
    const text = logs.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(logs.lines.length).toBeGreaterThan(50);
    for (const secret of [PASSWORD, admin.cookie, admin.csrf, token, enrolment]) {
      expect(text.includes(secret.replace(/^pw[a-z]_/, '')), secret.slice(0, 6)).toBe(false);
    }
  });
});
