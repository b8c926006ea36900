import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';
import { startServer, type RunningServer } from '../../../src/server.ts';
import { Harness } from '../../helpers/harness.ts';

/**
 * PORTCULLIS_BASE_URL is the public origin: the issuer is `{BASE_URL}/oidc`, while the OpenID
 * Provider's endpoint URLs come from the origin pinned on each request (scheme and host only).
 * A value whose issuer and endpoints would disagree must be refused at start, or written the
 * one way both agree on.
 */
describe('PORTCULLIS_BASE_URL', () => {
  let h: Harness | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    await h?.close();
    server = h = undefined;
  });

  it.each([
    'https://id.example.com/auth',
    'https://id.example.com/?tenant=acme',
    'https://id.example.com/#top',
    'https://admin:secret@id.example.com',
  ])('refuses %s at start, naming the variable (the OIDC issuer would not match its endpoints)', (value) => {
    let err: unknown;
    try {
      loadConfig({ PORTCULLIS_BASE_URL: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('PORTCULLIS_BASE_URL');
  });

  it.each([
    ['HTTPS://ID.Example.com', 'https://id.example.com'],
    ['https://id.example.com:443/', 'https://id.example.com'],
    ['http://127.0.0.1:80', 'http://127.0.0.1'],
    ['https://id.example.com:8443/', 'https://id.example.com:8443'],
  ])('writes %s as the origin %s', (value, origin) => {
    expect(loadConfig({ PORTCULLIS_BASE_URL: value }).baseUrl).toBe(origin);
  });

  it('gives an issuer on the same origin as the endpoints the discovery document lists, however the origin was written', async () => {
    h = new Harness({ baseUrl: 'HTTPS://ID.Example.com:443', port: 0 });
    server = await startServer(h.services);
    const doc = (await (await fetch(`${server.url}/oidc/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(doc.issuer).toBe('https://id.example.com/oidc');
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
      expect(doc[endpoint]?.startsWith(`${doc.issuer}/`)).toBe(true);
    }
  });
});
