import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { httpsMetadataFetcher, isPrivateAddress } from './metadata-fetch.ts';

const KEYS = join(import.meta.dirname, '../../../fixtures/saml/keys');
const tls = { key: readFileSync(join(KEYS, 'idp.key.pem'), 'utf8'), cert: readFileSync(join(KEYS, 'idp.cert.pem'), 'utf8') };
/** The fixture certificate's name: the local IdP below answers as this host. */
const HOST = 'test-idp.portcullis.invalid';

describe('IdP metadata URL fetching', () => {
  it('classifies loopback, private, link-local, CGNAT, multicast and mapped addresses as private', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '64:ff9b:1::a00:1', '2001:db8::1', 'not-an-ip']) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    }
    for (const ip of ['8.8.8.8', '20.190.128.1', '2606:4700::1111']) expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  it('refuses plain http, credentials in the URL and IP literals in private ranges before connecting', async () => {
    const fetcher = httpsMetadataFetcher({ lookup: async () => [{ address: '8.8.8.8', family: 4 }] });
    await expect(fetcher('http://idp.example/metadata')).rejects.toMatchObject({ code: 'metadata_url_refused' });
    await expect(fetcher('https://user:pw@idp.example/metadata')).rejects.toMatchObject({ code: 'metadata_url_refused' });
    await expect(fetcher('https://169.254.169.254/latest/meta-data')).rejects.toMatchObject({ code: 'metadata_url_refused' });
    await expect(fetcher('https://[::1]/metadata')).rejects.toMatchObject({ code: 'metadata_url_refused' });
  });

  it('refuses a host name that resolves to any private address (DNS rebinding setups)', async () => {
    const fetcher = httpsMetadataFetcher({ lookup: async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }] });
    await expect(fetcher('https://idp.example/metadata')).rejects.toMatchObject({ code: 'metadata_url_refused', message: expect.stringMatching(/private/) });
  });

  describe('against a real HTTPS server (the connection pinned to the checked address)', () => {
    let server: Server;
    let base = '';
    const big = 'x'.repeat(1024 * 1024 + 1);
    beforeAll(async () => {
      server = createServer(tls, (req, res) => {
        if (req.url === '/metadata') res.end('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.test"/>');
        else if (req.url === '/moved') res.writeHead(302, { location: 'https://169.254.169.254/' }).end();
        else if (req.url === '/huge') res.end(big);
        else if (req.url === '/slow') setTimeout(() => res.end('late'), 2_000);
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `https://${HOST}:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const fetcher = (o: { ca?: string; timeoutMs?: number } = { ca: tls.cert }) =>
      httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, ...o });

    it('fetches the document from the address it checked', async () => {
      await expect(fetcher()(`${base}/metadata`)).resolves.toMatch(/entityID="https:\/\/idp.test"/);
    });

    it('tries every checked address in turn (an unreachable first address, such as IPv6 without a route, is not the end)', async () => {
      const both = httpsMetadataFetcher({ lookup: async () => [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }], allowLoopback: true, ca: tls.cert });
      await expect(both(`${base}/metadata`)).resolves.toMatch(/entityID="https:\/\/idp.test"/);
    });

    it('does not follow redirects, caps the size, times out, and verifies the certificate', async () => {
      await expect(fetcher()(`${base}/moved`)).rejects.toMatchObject({ code: 'metadata_url_refused', message: expect.stringMatching(/302 \(a redirect, to https:\/\/169\.254\.169\.254\/: redirects are not followed/) });
      await expect(fetcher()(`${base}/nothing-here`)).rejects.toMatchObject({ code: 'metadata_url_refused', message: 'The metadata URL answered 404.' });
      await expect(fetcher()(`${base}/huge`)).rejects.toMatchObject({ code: 'metadata_url_refused', message: expect.stringMatching(/too large/) });
      await expect(fetcher({ ca: tls.cert, timeoutMs: 200 })(`${base}/slow`)).rejects.toMatchObject({ code: 'metadata_url_refused', message: expect.stringMatching(/timeout/) });
      await expect(fetcher({})(`${base}/metadata`)).rejects.toMatchObject({ code: 'metadata_url_refused', message: expect.stringMatching(/certificate/i) });
    });

    it('still refuses loopback unless told otherwise (the default fetcher)', async () => {
      const strict = httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
      await expect(strict(`${base}/metadata`)).rejects.toMatchObject({ code: 'metadata_url_refused', message: expect.stringMatching(/private.*PORTCULLIS_IDP_PRIVATE_HOSTS/) });
    });

    it('fetches from a private address when the operator named the host (PORTCULLIS_IDP_PRIVATE_HOSTS: an on-premises AD FS)', async () => {
      const named = httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], ca: tls.cert, privateHosts: [HOST] });
      await expect(named(`${base}/metadata`)).resolves.toMatch(/entityID="https:\/\/idp.test"/);
      const other = httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], ca: tls.cert, privateHosts: ['adfs.other.example'] });
      await expect(other(`${base}/metadata`)).rejects.toMatchObject({ code: 'metadata_url_refused' });
    });
  });
});
