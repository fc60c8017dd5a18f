import { Command } from '@commander-js/extra-typings';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { pwError } from '@patchwarden/core';
import { ApiClient } from './api-client.ts';
import { resolveConnection } from './credentials.ts';
import type { ConnectionFlags } from './credentials.ts';

/** A command with `--server`, `--token` and `--ca`; it and its sub-commands read them with `connect`. */
export function connectedCommand(name: string) {
  return new Command(name)
    .option(
      '--server <url>',
      'Patchwarden server (default: $PATCHWARDEN_SERVER, then the one `login` stored)',
    )
    .option('--token <token>', 'API token (default: $PATCHWARDEN_TOKEN, then the one `login` stored)')
    .option(
      '--ca <file>',
      'PEM file of the CA that signed the server certificate (or set NODE_EXTRA_CA_CERTS)',
    );
}

export function connectionFlags(command: CommandUnknownOpts): ConnectionFlags {
  const options = command.optsWithGlobals() as Record<string, unknown>;
  const pick = (key: string) => (typeof options[key] === 'string' ? (options[key] as string) : undefined);
  const flags: ConnectionFlags = {};
  const server = pick('server');
  const token = pick('token');
  const ca = pick('ca');
  if (server !== undefined) flags.server = server;
  if (token !== undefined) flags.token = token;
  if (ca !== undefined) flags.ca = ca;
  return flags;
}

/** A client for an authenticated verb; fails before any request when there is no token at all. */
export async function connect(command: CommandUnknownOpts): Promise<ApiClient> {
  const resolved = await resolveConnection(connectionFlags(command));
  if (resolved.token === undefined) {
    throw pwError(
      'PW_ERR_UNAUTHENTICATED',
      `Not signed in to ${resolved.server}: run \`patchwarden login\`, or pass --token / set PATCHWARDEN_TOKEN`,
    );
  }
  return new ApiClient({
    server: resolved.server,
    token: resolved.token,
    ...(resolved.caFile ? { caFile: resolved.caFile } : {}),
  });
}

/** Runs one verb with a client and closes its connection pool afterwards. */
export async function withClient<T>(
  command: CommandUnknownOpts,
  run: (client: ApiClient) => Promise<T>,
): Promise<T> {
  const client = await connect(command);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}
