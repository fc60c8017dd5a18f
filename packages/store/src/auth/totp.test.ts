import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base32Decode, base32Encode, checkTotp, hotp, totpCode, totpUri } from './totp.ts';

/** RFC 6238 Appendix B: seeds are the ASCII digits 1234567890 repeated to the hash's key size. */
const SEED_SHA1 = Buffer.from('12345678901234567890', 'ascii');
const SEED_SHA256 = Buffer.from('12345678901234567890123456789012', 'ascii');
const SEED_SHA512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');

const APPENDIX_B: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  it('reproduces every Appendix B test vector for SHA-1, SHA-256 and SHA-512', () => {
    for (const [seconds, sha1, sha256, sha512] of APPENDIX_B) {
      const at = seconds * 1000;
      expect(totpCode(SEED_SHA1, at, { digits: 8 }), `SHA1 T=${seconds}`).toBe(sha1);
      expect(totpCode(SEED_SHA256, at, { digits: 8, algorithm: 'sha256' }), `SHA256 T=${seconds}`).toBe(
        sha256,
      );
      expect(totpCode(SEED_SHA512, at, { digits: 8, algorithm: 'sha512' }), `SHA512 T=${seconds}`).toBe(
        sha512,
      );
    }
  });

  it('reproduces the RFC 4226 Appendix D HOTP values', () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expect(expected.map((_, counter) => hotp(SEED_SHA1, counter))).toEqual(expected);
  });

  it('accepts one step either side, refuses two, and refuses a replayed or older step', () => {
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    const at = (offset: number) => totpCode(SEED_SHA1, now + offset * 30_000);
    expect(checkTotp(SEED_SHA1, at(0), now)).toBe(step);
    expect(checkTotp(SEED_SHA1, at(-1), now)).toBe(step - 1);
    expect(checkTotp(SEED_SHA1, at(1), now)).toBe(step + 1);
    expect(checkTotp(SEED_SHA1, at(-2), now)).toBeUndefined();
    expect(checkTotp(SEED_SHA1, at(2), now)).toBeUndefined();
    expect(checkTotp(SEED_SHA1, at(0), now, { lastStep: step })).toBeUndefined();
    expect(checkTotp(SEED_SHA1, at(-1), now, { lastStep: step })).toBeUndefined();
    expect(checkTotp(SEED_SHA1, at(1), now, { lastStep: step })).toBe(step + 1);
    expect(checkTotp(SEED_SHA1, `${at(0).slice(0, 3)} ${at(0).slice(3)}`, now)).toBe(step);
    expect(checkTotp(SEED_SHA1, '12345', now)).toBeUndefined();
    expect(checkTotp(SEED_SHA1, 'abcdef', now)).toBeUndefined();
  });

  it('base32 round-trips any bytes and matches RFC 4648 section 10', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('fooba'))).toBe('MZXW6YTB');
    expect(base32Encode(Buffer.from('f'))).toBe('MY');
    expect(base32Decode('mzxw6ytboi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZ1W')).toThrow(/position 3/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect([...base32Decode(base32Encode(bytes))]).toEqual([...bytes]);
      }),
    );
  });

  it('builds an otpauth URI an authenticator app reads', () => {
    const uri = new URL(totpUri(SEED_SHA1, 'alice@example.org'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(uri.searchParams.get('issuer')).toBe('Patchwarden');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Patchwarden:alice@example.org');
  });
});
