import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pwError } from '@patchwarden/core';

/** Creates the state directory readable by its owner only (it holds a credential). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw stateDirError(dir, 'cannot be created', cause);
  }
}

/** The state directory is configuration: when it cannot be used, say which and why. */
export function stateDirError(path: string, what: string, cause: unknown) {
  const code = String((cause as { code?: unknown }).code ?? cause);
  return pwError(
    'PW_ERR_USAGE',
    `${path}: ${what} (${code}); check --state-dir and its permissions`,
    {
      file: path,
      field: 'state-dir',
    },
    cause,
  );
}

/**
 * Replaces `path` with `data`, mode 0600, so that a crash or power loss leaves either the old or
 * the new content, never a torn file: write a temporary file beside it, fsync, rename over the
 * target, fsync the directory (the rename itself must survive).
 */
export async function writePrivateFileAtomic(path: string, data: string): Promise<void> {
  try {
    await writeAtomic(path, data);
  } catch (cause) {
    throw stateDirError(path, 'cannot be written', cause);
  }
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // Created 0600 from the start (a umask can only take bits away), so the credential is never exposed.
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is then as durable as they allow.
  } finally {
    await handle.close();
  }
}
