import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import { pwError } from '@patchwarden/core';

/** `Algorithm.Argon2id`: the package declares its enum `const`, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes any length, but an unbounded input is a free way to burn server CPU. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): about 20-120 ms a hash here, slow
 * enough to make guessing offline costly, fast enough for interactive logins.
 */
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function checkPasswordPolicy(password: string, field = 'password'): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw pwError('PW_ERR_VALIDATION', `The password must have at least ${MIN_PASSWORD_LENGTH} characters`, {
      field,
    });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw pwError('PW_ERR_VALIDATION', `The password must have at most ${MAX_PASSWORD_LENGTH} characters`, {
      field,
    });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH * 4) return false;
  try {
    return await verify(passwordHash, password.normalize('NFC'));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification for a user who does not exist (or has no password), so that
 * response times do not tell which usernames are real.
 */
export async function spendVerificationTime(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  await verifyPassword(await dummyHash, password);
}

/** A password for a generated account: 24 base64url characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
