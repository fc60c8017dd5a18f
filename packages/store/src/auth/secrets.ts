import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What each kind of credential looks like: a recognisable prefix (so secret scanners and people can
 * tell what leaked) and 32 random bytes in base64url.
 */
export const SECRET_PREFIXES = Object.freeze({
  apiToken: 'pwt_',
  session: 'pws_',
  csrf: 'pwc_',
  enrolment: 'pwe_',
  agent: 'pwa_',
} as const);

export type SecretKind = keyof typeof SECRET_PREFIXES;

const SECRET_BYTES = 32;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new 256-bit secret of this kind, e.g. `pwt_` + 43 base64url characters. */
export function newSecret(kind: SecretKind): string {
  return SECRET_PREFIXES[kind] + randomBytes(SECRET_BYTES).toString('base64url');
}

/** Whether `value` has the shape of a secret of this kind (checked before any database work). */
export function isSecretOf(kind: SecretKind, value: string): boolean {
  const prefix = SECRET_PREFIXES[kind];
  return value.startsWith(prefix) && SECRET_PATTERN.test(value.slice(prefix.length));
}

/**
 * SHA-256 (hex) of a high-entropy secret. A slow password hash is not needed: guessing a 256-bit
 * value is hopeless whatever the hash costs, and a fast, unsalted hash can be looked up through a
 * unique index on every request.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
