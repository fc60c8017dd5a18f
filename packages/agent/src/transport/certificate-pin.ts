import { X509Certificate, createHash } from 'node:crypto';
import { pwError } from '@patchwarden/core';

/**
 * A pinned server identity: the SHA-256 of the certificate's SubjectPublicKeyInfo (base64, as
 * in HPKP and `curl --pinnedpubkey sha256//...`; survives a renewal with the same key) or of the
 * whole DER certificate (hex, as `openssl x509 -fingerprint -sha256` prints it).
 */
export interface CertificatePin {
  kind: 'spki' | 'certificate';
  sha256: Buffer;
  text: string;
}

export function parsePin(text: string): CertificatePin {
  const value = text.trim().replace(/^sha256\/\/?/i, '');
  const hex = value.replaceAll(':', '');
  if (/^[0-9a-f]{64}$/i.test(hex)) return { kind: 'certificate', sha256: Buffer.from(hex, 'hex'), text };
  if (/^[A-Za-z0-9+/]{43}=$/.test(value)) return { kind: 'spki', sha256: Buffer.from(value, 'base64'), text };
  throw pwError(
    'PW_ERR_USAGE',
    `--pin-sha256: "${text}" is neither a base64 SHA-256 of a public key (44 characters) nor a hex SHA-256 ` +
      'certificate fingerprint (64 hex digits, colons allowed)',
    { field: 'pin-sha256' },
  );
}

export function spkiSha256(certificateDer: Buffer): Buffer {
  const spki = new X509Certificate(certificateDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest();
}

/**
 * Whether the server's own (leaf) certificate matches a pin. Only the leaf counts: the TLS
 * handshake proves the server holds the leaf's private key, while other certificates in the
 * chain are just bytes it sent, which anyone can copy when the chain is not verified.
 */
export function leafMatchesPins(leafDer: Buffer, pins: readonly CertificatePin[]): boolean {
  const certificateHash = createHash('sha256').update(leafDer).digest();
  const keyHash = spkiSha256(leafDer);
  return pins.some((pin) => pin.sha256.equals(pin.kind === 'spki' ? keyHash : certificateHash));
}
