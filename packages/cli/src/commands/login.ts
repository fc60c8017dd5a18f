import { hostname } from 'node:os';
import { Command } from '@commander-js/extra-typings';
import { pwError } from '@patchwarden/core';
import { connect, connectedCommand } from '../api/api-command.ts';
import { ApiClient, normaliseServerUrl } from '../api/api-client.ts';
import { credentialsFile, readCredentials, removeCredentials, writeCredentials } from '../api/credentials.ts';
import { DAY_MS, wholeUnits } from '../api/duration.ts';
import { promptSecret, readStdinSecret } from '../api/read-secret.ts';
import { renderJson } from '../api/render-records.ts';

const SESSION_COOKIE = '__Host-pw_session';

interface SessionAnswer {
  user: { id: string; username: string };
  csrfToken: string;
}
interface MeAnswer {
  user: { id: string; username: string; displayName: string | null };
  authMethod: 'session' | 'token';
  permissions: string[];
  bindings: { role: string; scope: { kind: string; team?: string; filter?: string } }[];
  token?: { id: string; name: string; scopes: string[]; expiresAt: string };
}
interface CreatedToken {
  token: { id: string; name: string; expiresAt: string; scopes: string[] };
  secret: string;
}

function sessionCookie(response: Response): string {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    if (pair?.startsWith(`${SESSION_COOKIE}=`)) return pair;
  }
  throw pwError('PW_ERR_INTERNAL', 'The server signed us in but sent no session cookie');
}

/**
 * `patchwarden login`: signs in with a password, mints an API token for this machine with what
 * the user may do, ends the short-lived session, and keeps only the token (0600).
 */
export function loginCommand() {
  return new Command('login')
    .description('Sign in and store an API token for this machine in $PATCHWARDEN_HOME/credentials.json')
    .option('--server <url>', 'Patchwarden server (default: $PATCHWARDEN_SERVER, then the last one used)')
    .requiredOption('--username <name>', 'your user name')
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .option('--totp <code>', 'one-time code of your authenticator app, when enabled')
    .option('--expires-in <duration>', 'lifetime of the CLI token, in days (e.g. 30d, 2w)', '30d')
    .option('--token-name <name>', 'name of the token (default: cli@<this host> <date>)')
    .option('--ca <file>', 'PEM file of the CA that signed the server certificate')
    .action(async (options) => {
      const given = options.server ?? (process.env['PATCHWARDEN_SERVER'] || undefined);
      const server = given ? normaliseServerUrl(given) : (await readCredentials())?.server;
      if (!server) throw pwError('PW_ERR_USAGE', 'Which server? Pass --server URL', { field: 'server' });
      const days = wholeUnits(options.expiresIn, 'expires-in', DAY_MS, 'days');
      const password = options.passwordStdin
        ? await readStdinSecret()
        : await promptSecret(`Password for ${options.username} at ${server}: `);
      const ca = options.ca ? { caFile: options.ca } : {};

      const anonymous = new ApiClient({ server, ...ca });
      let session: ApiClient;
      try {
        const response = await anonymous.send('POST', '/auth/login', {
          body: { username: options.username, password, ...(options.totp ? { totp: options.totp } : {}) },
        });
        const answer = (await response.json()) as SessionAnswer;
        session = new ApiClient({
          server,
          ...ca,
          headers: { cookie: sessionCookie(response), 'x-csrf-token': answer.csrfToken },
        });
      } finally {
        await anonymous.close();
      }
      try {
        const me = await session.get<MeAnswer>('/auth/me');
        const name = options.tokenName ?? `cli@${hostname()} ${new Date().toISOString().slice(0, 10)}`;
        const created = await session.request<CreatedToken>('POST', '/tokens', {
          body: { name, scopes: me.permissions, expiresInDays: days },
        });
        await writeCredentials({
          server,
          token: created.secret,
          tokenId: created.token.id,
          username: me.user.username,
          expiresAt: created.token.expiresAt,
        });
        process.stdout.write(
          `Signed in to ${server} as ${me.user.username}; token "${created.token.name}" expires ${created.token.expiresAt}\n` +
            `Stored in ${credentialsFile()}\n`,
        );
      } finally {
        // The session was only needed to mint the token; do not leave it open on the server.
        await session.request('POST', '/auth/logout').catch(() => undefined);
        await session.close();
      }
    });
}

/** `patchwarden logout`: revokes the stored token on the server, then forgets it. */
export function logoutCommand() {
  return new Command('logout')
    .description('Revoke the stored API token on the server and delete the credentials file')
    .option('--ca <file>', 'PEM file of the CA that signed the server certificate')
    .action(async (options) => {
      const stored = await readCredentials();
      if (!stored) {
        process.stdout.write('Not signed in.\n');
        return;
      }
      if (stored.tokenId) {
        const client = new ApiClient({
          server: stored.server,
          token: stored.token,
          ...(options.ca ? { caFile: options.ca } : {}),
        });
        try {
          await client.request('DELETE', `/tokens/${stored.tokenId}`);
        } catch (error) {
          // An expired or already revoked token is what logout wants anyway; say so and go on.
          process.stderr.write(
            `patchwarden: could not revoke the token on the server: ${(error as Error).message}\n`,
          );
        } finally {
          await client.close();
        }
      }
      await removeCredentials();
      process.stdout.write(`Signed out of ${stored.server}.\n`);
    });
}

/** `patchwarden whoami`: who the server thinks we are, and what we may do. */
export function whoamiCommand() {
  return connectedCommand('whoami')
    .description('Show the signed-in user, roles and permissions')
    .option('--format <format>', 'table or json', 'table')
    .action(async (options, command) => {
      const client = await connect(command);
      try {
        const me = await client.get<MeAnswer>('/auth/me');
        if (options.format === 'json') {
          process.stdout.write(renderJson({ server: client.server, ...me }));
          return;
        }
        const roles = me.bindings
          .map(
            (b) =>
              `${b.role} (${b.scope.kind === 'global' ? 'global' : `${b.scope.kind} ${b.scope.team ?? b.scope.filter}`})`,
          )
          .join(', ');
        process.stdout.write(
          `server:      ${client.server}\n` +
            `user:        ${me.user.username}${me.user.displayName ? ` (${me.user.displayName})` : ''}\n` +
            `signed in:   ${me.authMethod}${me.token ? ` "${me.token.name}", expires ${me.token.expiresAt}` : ''}\n` +
            `roles:       ${roles || '-'}\n` +
            `permissions: ${me.permissions.join(' ')}\n`,
        );
      } finally {
        await client.close();
      }
    });
}
