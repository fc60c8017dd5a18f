import type { Permission, Role, RoleScope } from '@patchwarden/core';
import { PERMISSIONS } from '@patchwarden/core';
import { openDatabase } from '@patchwarden/store';
import type { Database, DatabaseKind } from '@patchwarden/store';
import { freshTarget } from '../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../store/src/testing/test-database.ts';
import { createPatchwardenApp } from '../app/patchwarden-app.ts';
import type { PatchwardenApp, PatchwardenAppOptions } from '../app/patchwarden-app.ts';

const SYSTEM = { kind: 'system', name: 'test' } as const;

/** A whole app on a fresh database of one backend, with helpers to make users and tokens. */
export interface PlatformFixture {
  app: PatchwardenApp;
  database: Database;
  /** An API token (Bearer) for a new user holding `role` in `scope`. */
  tokenFor(role: Role, scope?: RoleScope, scopes?: readonly Permission[]): Promise<string>;
  /** Session headers (cookie and CSRF token) of a new user holding `role`, signed in through the API. */
  sessionFor(role: Role, scope?: RoleScope): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'Correct-Horse-Battery-9';

/** Signs in through POST /api/v1/auth/login and returns the headers later requests need. */
export function sessionHeaders(setCookie: string | string[] | undefined): Record<string, string> {
  const cookies = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('__Host-pw_csrf='))?.split('=')[1] ?? '';
  return { cookie: cookies.join('; '), 'x-csrf-token': csrf };
}

let users = 0;

export async function platformFixture(
  backend: DatabaseKind,
  options: Omit<PatchwardenAppOptions, 'database'> = {},
): Promise<PlatformFixture> {
  const target: TestTarget = await freshTarget(backend);
  const database = await openDatabase(target.options);
  const app = await createPatchwardenApp({
    logger: process.env.PW_TEST_LOG ? { level: 'error' } : false,
    rateLimit: false,
    ...options,
    database,
  });
  await app.ready();
  const auth = app.platform.auth;
  return {
    app,
    database,
    async tokenFor(role, scope = { kind: 'global' }, scopes = PERMISSIONS) {
      const user = await auth.createUser({ username: `user-${role}-${++users}` }, SYSTEM);
      await auth.addRoleBinding({ userId: user.id, role, scope }, SYSTEM);
      const held = scopes.filter((p) => auth !== undefined && p !== undefined);
      const { secret } = await auth.createToken(
        {
          userId: user.id,
          name: 'test',
          scopes:
            role === 'admin' ? held : held.filter((p) => !p.includes('manage') && !p.startsWith('audit')),
          expiresAt: new Date(Date.now() + 86_400_000),
        },
        SYSTEM,
      );
      return secret;
    },
    async sessionFor(role, scope = { kind: 'global' }) {
      const username = `session-${role}-${++users}`;
      const user = await auth.createUser({ username, password: TEST_PASSWORD }, SYSTEM);
      await auth.addRoleBinding({ userId: user.id, role, scope }, SYSTEM);
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password: TEST_PASSWORD },
      });
      if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
      return sessionHeaders(login.headers['set-cookie']);
    },
    async close() {
      await app.close();
      await database.close();
      await target.remove();
    },
  };
}
