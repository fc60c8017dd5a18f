import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { pwError } from '@patchwarden/core';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * Encrypts the few secrets the server must read back (TOTP seeds) with AES-256-GCM under a key kept
 * outside the database (`PATCHWARDEN_SECRET_KEY`), so a copy of the database alone does not reveal
 * them. Each value is bound to a context (the user id): a sealed value moved to another row fails
 * to open.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw pwError('PW_ERR_USAGE', `The secret key must be ${KEY_BYTES} bytes, got ${key.length}`, {
        field: 'PATCHWARDEN_SECRET_KEY',
      });
    }
    this.#key = Buffer.from(key);
  }

  /** A key given as 64 hex digits or as base64 of 32 bytes. */
  static fromText(text: string): SecretBox {
    const trimmed = text.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
      ? Buffer.from(trimmed, 'hex')
      : Buffer.from(trimmed, 'base64');
    return new SecretBox(key);
  }

  static generateKeyText(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  seal(plaintext: Uint8Array, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  open(sealed: string, context: string): Buffer {
    const [version, ivText, bodyText] = sealed.split('.');
    const iv = Buffer.from(ivText ?? '', 'base64url');
    const body = Buffer.from(bodyText ?? '', 'base64url');
    if (version !== VERSION || iv.length !== IV_BYTES || body.length < TAG_BYTES) {
      throw pwError('PW_ERR_INTERNAL', 'A stored secret is not in a known format', { field: 'secret' });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw pwError(
        'PW_ERR_INTERNAL',
        'A stored secret cannot be decrypted: wrong PATCHWARDEN_SECRET_KEY, or the value was altered',
        { field: 'secret' },
        error,
      );
    }
  }
}
