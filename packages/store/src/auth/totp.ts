import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { pwError } from '@patchwarden/core';

/** Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226), as authenticator apps use them. */
export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpParameters {
  /** 6 unless told (authenticator apps show 6). */
  digits?: number;
  /** Seconds per step; 30 unless told. */
  period?: number;
  /** HMAC-SHA1 unless told: the only one every authenticator app supports. */
  algorithm?: TotpAlgorithm;
}

export interface TotpCheck extends TotpParameters {
  /** Steps accepted either side of now, for clock drift; 1 unless told. */
  window?: number;
  /** The step of the last accepted code: it and older steps are refused (no replay). */
  lastStep?: number | null;
}

/** 160 bits, the HMAC-SHA1 block size RFC 4226 recommends. */
const SECRET_BYTES = 20;

export function newTotpSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

export function totpStep(timeMs: number, period = 30): number {
  return Math.floor(timeMs / 1000 / period);
}

/** The HOTP value for one counter (RFC 4226 section 5.3, dynamic truncation). */
export function hotp(
  secret: Uint8Array,
  counter: number,
  digits = 6,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function totpCode(secret: Uint8Array, timeMs: number, parameters: TotpParameters = {}): string {
  return hotp(secret, totpStep(timeMs, parameters.period), parameters.digits, parameters.algorithm);
}

function sameCode(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The step `code` belongs to when it is valid at `timeMs` (within the window and newer than
 * `lastStep`), else undefined. The caller stores the returned step as the new `lastStep`.
 */
export function checkTotp(
  secret: Uint8Array,
  code: string,
  timeMs: number,
  check: TotpCheck = {},
): number | undefined {
  const digits = check.digits ?? 6;
  const trimmed = code.replace(/\s/g, '');
  if (!new RegExp(`^\\d{${digits}}$`).test(trimmed)) return undefined;
  const now = totpStep(timeMs, check.period);
  const window = check.window ?? 1;
  let found: number | undefined;
  // Every candidate is computed, so the time taken does not tell which step matched.
  for (let step = now - window; step <= now + window; step++) {
    const matches = sameCode(hotp(secret, step, digits, check.algorithm), trimmed);
    if (matches && found === undefined && (check.lastStep == null || step > check.lastStep)) found = step;
  }
  return found;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as otpauth URIs carry secrets. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=]/g, '');
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const [index, char] of [...clean].entries()) {
    const digit = BASE32.indexOf(char);
    if (digit === -1) {
      throw pwError('PW_ERR_VALIDATION', `Not a base32 character at position ${index + 1}: ${char}`, {
        field: 'secret',
      });
    }
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The `otpauth://` URI an authenticator app scans as a QR code. */
export function totpUri(secret: Uint8Array, account: string, issuer = 'Patchwarden'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
