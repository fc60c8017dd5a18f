import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pwError } from '@patchwarden/core';
import { patchwardenHome } from '../paths.ts';
import { normaliseServerUrl } from './api-client.ts';

/** What `login` stores: enough to call the API and to revoke the token at `logout`. */
export interface StoredCredentials {
  server: string;
  token: string;
  tokenId?: string;
  username?: string;
  expiresAt?: string;
}

export interface ConnectionFlags {
  server?: string;
  token?: string;
  ca?: string;
}

export interface ResolvedConnection {
  server: string;
  token: string | undefined;
  caFile: string | undefined;
  /** Where the token came from, for `whoami` and for error messages. */
  tokenSource: 'flag' | 'env' | 'file' | 'none';
}

export function credentialsFile(home: string = patchwardenHome()): string {
  return join(home, 'credentials.json');
}

export async function readCredentials(
  file: string = credentialsFile(),
): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw pwError(
      'PW_ERR_PARSE',
      'The credentials file is not JSON; run `patchwarden login` again',
      { file },
      error,
    );
  }
  const record = parsed as Partial<StoredCredentials>;
  if (typeof record.server !== 'string' || typeof record.token !== 'string') {
    throw pwError('PW_ERR_INVALID_RECORD', 'The credentials file lacks server or token', { file });
  }
  return record as StoredCredentials;
}

/** Writes the file 0600 in a 0700 directory, through a temporary file so it is never half-written. */
export async function writeCredentials(
  credentials: StoredCredentials,
  file: string = credentialsFile(),
): Promise<void> {
  const dir = join(file, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFile is filtered by the umask and ignored for an existing file.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

export async function removeCredentials(file: string = credentialsFile()): Promise<boolean> {
  const existed = (await readCredentials(file).catch(() => undefined)) !== undefined;
  await rm(file, { force: true });
  return existed;
}

/**
 * Flags beat the environment (PATCHWARDEN_SERVER, PATCHWARDEN_TOKEN), which beats the credentials
 * file. The stored token is only used for the server it was issued by: `--server elsewhere` must
 * never carry it to another host.
 */
export async function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
  file: string = credentialsFile(),
): Promise<ResolvedConnection> {
  const stored = await readCredentials(file);
  const given = flags.server ?? env['PATCHWARDEN_SERVER'];
  const server = given !== undefined && given !== '' ? normaliseServerUrl(given) : stored?.server;
  if (server === undefined) {
    throw pwError(
      'PW_ERR_USAGE',
      'No server: run `patchwarden login --server URL`, or pass --server / set PATCHWARDEN_SERVER',
      { field: 'server' },
    );
  }
  const caFile = flags.ca ?? (env['PATCHWARDEN_CA'] || undefined);
  if (flags.token !== undefined) return { server, token: flags.token, caFile, tokenSource: 'flag' };
  const envToken = env['PATCHWARDEN_TOKEN'];
  if (envToken !== undefined && envToken !== '')
    return { server, token: envToken, caFile, tokenSource: 'env' };
  if (stored && normaliseServerUrl(stored.server) === server) {
    return { server, token: stored.token, caFile, tokenSource: 'file' };
  }
  return { server, token: undefined, caFile, tokenSource: 'none' };
}
