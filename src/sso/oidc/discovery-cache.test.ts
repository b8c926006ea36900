import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { OAuth2Server } from 'oauth2-mock-server';
import type * as client from 'openid-client';
import { startUpstreamIdp } from '../../../test/helpers/upstream-idp.ts';
import { SecretBox } from '../../oidc/keys/key-encryption.ts';
import type { Connection, OidcSettings } from '../connections/connection.ts';
import { UpstreamOidc } from './upstream.ts';

/**
 * The upstream discovery cache is bounded: one entry per connection (its current version; an
 * edit drops the older one), and at most a set number of connections, least recently used
 * dropped first. A real upstream IdP (oauth2-mock-server) answers the discovery requests, counted.
 */
describe('the upstream OIDC discovery cache', () => {
  let idp: OAuth2Server;
  let discoveries = 0;
  const counting: client.CustomFetch = (url, options) => {
    if (url.endsWith('/.well-known/openid-configuration')) discoveries++;
    return fetch(url, options as RequestInit);
  };

  beforeAll(async () => {
    idp = await startUpstreamIdp();
  });
  afterAll(() => idp?.stop());

  const connection = (id: string, version: number): Connection & { oidc: OidcSettings } => ({
    id,
    tenant_id: 'ten_1',
    name: 'Okta',
    protocol: 'oidc',
    status: 'active',
    attribute_preset: 'generic',
    attribute_mapping: {},
    group_mappings: [],
    directory_id: null,
    saml: null,
    oidc: { issuer: idp.issuer.url!, client_id: 'portcullis', client_secret_sealed: null, scopes: 'openid email', entra_multi_tenant: false, allowed_entra_tenants: [], allowed_google_domains: [] },
    version,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });
  const start = (upstream: UpstreamOidc, c: ReturnType<typeof connection>) => upstream.authorizationUrl(c, { state: 's', nonce: 'n', codeVerifier: 'v'.repeat(43) });

  it('keeps one entry per connection however often it is edited, discovering again only for a new version', async () => {
    const upstream = new UpstreamOidc('http://127.0.0.1:1', new SecretBox(randomBytes(32)), counting);
    discoveries = 0;
    for (let version = 1; version <= 40; version++) {
      await start(upstream, connection('conn_a', version));
      await start(upstream, connection('conn_a', version));
    }
    expect(discoveries).toBe(40);
    expect(upstream.discoveries.size).toBe(1);
    await start(upstream, connection('conn_b', 1));
    expect(upstream.discoveries.size).toBe(2);
  });

  it('holds at most its cap of connections, dropping the least recently used', async () => {
    const upstream = new UpstreamOidc('http://127.0.0.1:1', new SecretBox(randomBytes(32)), counting, { maxCachedDiscoveries: 3 });
    for (const id of ['c1', 'c2', 'c3']) await start(upstream, connection(id, 1));
    await start(upstream, connection('c1', 1)); // c1 used again: c2 is now the least recently used
    discoveries = 0;
    await start(upstream, connection('c4', 1));
    expect(upstream.discoveries.size).toBe(3);
    expect(discoveries).toBe(1);
    for (const id of ['c1', 'c3', 'c4']) await start(upstream, connection(id, 1));
    expect(discoveries).toBe(1);
    await start(upstream, connection('c2', 1));
    expect(discoveries).toBe(2);
    expect(upstream.discoveries.size).toBe(3);
  });
});
