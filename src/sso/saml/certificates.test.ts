import { X509Certificate, constants, createPrivateKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSpKeyPair, derInteger, describeCertificate } from './certificates.ts';

describe('SP certificates', () => {
  it('writes DER integers minimally: no leading zero bytes, one before a high bit', () => {
    const hex = (b: number[]) => derInteger(Buffer.from(b)).toString('hex');
    expect(hex([0x00, 0x01, 0x02])).toBe('02020102');
    expect(hex([0x00, 0x00, 0x7f])).toBe('02017f');
    expect(hex([0x80, 0x01])).toBe('0203008001');
    expect(hex([0x00, 0x80])).toBe('02020080');
    expect(hex([0x00, 0x00])).toBe('020100');
  });

  it('makes certificates OpenSSL reads, whatever the serial and however far the validity reaches', () => {
    const now = new Date('2026-11-27T00:00:00Z');
    // A serial starting 0x00 0x01 (one in 256 random ones) was written unminimised and refused.
    for (const [serial, days] of [[Buffer.from([0x00, 0x01, ...randomBytes(14)]), 3650], [Buffer.from([0x80, ...randomBytes(15)]), 3650], [randomBytes(16), 365 * 30]] as const) {
      const pair = createSpKeyPair('portcullis test', now, days, serial);
      const cert = new X509Certificate(pair.certificatePem);
      expect(cert.checkIssued(cert)).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(new Date(cert.validTo).getTime()).toBe(new Date(now.getTime() + days * 86_400_000).getTime());
      // What an IdP does with it: encrypt an assertion key to it; the SP key opens it.
      const wrapped = publicEncrypt({ key: pair.certificatePem, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from('k'));
      expect(privateDecrypt({ key: createPrivateKey(pair.privateKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING }, wrapped).toString()).toBe('k');
    }
  });

  it('describes a certificate by its SHA-256 fingerprint and expiry, and one OpenSSL cannot read by its fingerprint alone', () => {
    const pair = createSpKeyPair('portcullis test', new Date('2026-11-27T00:00:00Z'));
    const x509 = new X509Certificate(pair.certificatePem);
    expect(describeCertificate(pair.certificatePem)).toEqual({ fingerprint: x509.fingerprint256, not_after: '2036-11-24T00:00:00.000Z', readable: true });
    // The serial as the old DER writer wrote one in 256 (0x00 0x01 …: a padded INTEGER OpenSSL refuses).
    const padded = Buffer.from(pair.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const serialAt = padded.indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02])) + 5;
    expect(padded[serialAt]).toBe(0x02);
    padded[serialAt + 2] = 0x00;
    padded[serialAt + 3] = 0x01;
    const unreadable = `-----BEGIN CERTIFICATE-----\n${padded.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(() => new X509Certificate(unreadable)).toThrow();
    const described = describeCertificate(unreadable);
    expect(described).toMatchObject({ not_after: null, readable: false });
    expect(described.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});
