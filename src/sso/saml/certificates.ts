import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { badRequest } from '../../http/errors.ts';
import type { IdpCertificate } from '../connections/connection.ts';

/** Parses a PEM or bare base64 certificate; 400 `invalid_certificate` otherwise. */
export function parseIdpCertificate(input: string): IdpCertificate {
  const body = input
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) throw badRequest('invalid_certificate', 'The IdP certificate is not a PEM/base64 X.509 certificate.');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch {
    throw badRequest('invalid_certificate', 'The IdP certificate could not be parsed.');
  }
  return { fingerprint: x509.fingerprint256, pem, not_after: expiry(x509) };
}

/** The certificate's notAfter, or null when OpenSSL cannot print it as a date ("Bad time value"). */
function expiry(x509: X509Certificate): string | null {
  const at = new Date(x509.validTo);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

// --- A minimal DER writer: enough for one self-signed X.509 v3 certificate. ---

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const len = body.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else if (len < 0x100) header = Buffer.from([tag, 0x81, len]);
  else header = Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([header, body]);
}
const seq = (...p: Buffer[]) => der(0x30, ...p);
const set = (...p: Buffer[]) => der(0x31, ...p);
const oid = (dotted: string) => {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const chunk: number[] = [];
    let v = n;
    do {
      chunk.unshift(v & 0x7f);
      v >>= 7;
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
};
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const time = (d: Date) => {
  const digits = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${digits.slice(2)}Z`)) : der(0x18, Buffer.from(`${digits}Z`));
};
/**
 * A non-negative DER INTEGER: minimal, so no leading zero bytes except one before a high bit.
 * (A random serial starting 0x00 0x01 was written as is; OpenSSL refuses such a certificate
 * with "illegal padding": about one SP certificate in 256.)
 */
export function derInteger(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return der(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
const nullValue = Buffer.from([0x05, 0x00]);
const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), nullValue);

/**
 * A self-signed RSA certificate for a connection's SP key (signing AuthnRequests, receiving
 * encrypted assertions). IdPs only pin it; it needs no CA.
 */
export function createSpKeyPair(
  commonName: string,
  now: Date,
  validDays = 3650,
  /** Tests only: the serial number's bytes (random otherwise). */
  serial: Buffer = randomBytes(16),
): { privateKeyPem: string; certificatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certificatePem: selfSign(privateKey, publicKey, commonName, now, validDays, serial) };
}

function selfSign(privateKey: KeyObject, publicKey: KeyObject, cn: string, now: Date, validDays: number, serial: Buffer): string {
  const name = seq(set(seq(oid('2.5.4.3'), utf8(cn.slice(0, 64)))));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    derInteger(serial),
    SHA256_WITH_RSA,
    name,
    seq(time(new Date(now.getTime() - 60_000)), time(new Date(now.getTime() + validDays * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, SHA256_WITH_RSA, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Base64 body of a PEM certificate (what metadata `X509Certificate` elements hold). */
export const pemBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');


/**
 * What an admin needs to tell SP certificates apart: the SHA-256 fingerprint (of the DER bytes,
 * so even a certificate OpenSSL cannot read has one) and its expiry, null when unreadable.
 */
export function describeCertificate(pem: string): { fingerprint: string; not_after: string | null; readable: boolean } {
  const derBytes = Buffer.from(pemBody(pem), 'base64');
  const fingerprint = fingerprintOf(derBytes);
  try {
    return { fingerprint, not_after: new Date(new X509Certificate(derBytes).validTo).toISOString(), readable: true };
  } catch {
    return { fingerprint, not_after: null, readable: false };
  }
}

/** The SHA-256 fingerprint of a PEM certificate's DER bytes, as OpenSSL writes it (AA:BB:…). */
export const certificateFingerprint = (pem: string) => fingerprintOf(Buffer.from(pemBody(pem), 'base64'));
const fingerprintOf = (der: Buffer) => createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
