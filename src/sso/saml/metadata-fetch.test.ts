import { describe, expect, it } from 'vitest';
import { httpsMetadataFetcher, isPrivateAddress } from './metadata-fetch.ts';

describe('IdP metadata URL fetching', () => {
  it('classifies loopback, private, link-local, CGNAT, multicast and mapped addresses as private', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', 'not-an-ip']) {
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
});
