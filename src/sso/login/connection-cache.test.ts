import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { loadConfig } from '../../config/load.ts';
import { buildServices, type Services } from '../../services.ts';
import { systemActor } from '../../audit/events.ts';
import { tempDir } from '../../../test/helpers/harness.ts';
import { TestSamlIdp, testKey } from '../../../test/helpers/saml-idp.ts';
import { parseIdpCertificate } from '../saml/certificates.ts';
import { LoginConnections } from './connection-cache.ts';

const BASE = 'http://127.0.0.1:1';

describe('LoginConnections', () => {
  const opened: Services[] = [];
  let dir: string;
  const open = () => {
    const s = buildServices(loadConfig({}, { dataDir: dir, baseUrl: BASE, logLevel: 'silent' }));
    opened.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepares a connection once per version and serves every change, also one made by another process', async () => {
    dir = tempDir();
    const s = open();
    const tenant = await s.tenants.create({ name: 'Acme', slug: 'acme' }, systemActor());
    const idp = new TestSamlIdp();
    const created = await s.sso.connections.create(tenant.id, { name: 'Okta', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
    const cache = new LoginConnections(s.sso.connections, BASE, s.sso.box);

    const first = cache.find(created.id)!;
    expect(cache.find(created.id)).toBe(first);
    const ctx = cache.saml(first);
    expect(cache.saml(first)).toBe(ctx);
    expect(ctx.spPrivateKey).toMatch(/BEGIN PRIVATE KEY/);

    // The CLI (another process on the same data dir) rotates the IdP certificate.
    const cli = open();
    const next = testKey('idp-next');
    await cli.sso.connections.update(tenant.id, created.id, { saml: { metadata_xml: idp.metadataXml([next.cert]) } }, undefined, systemActor());

    const rotated = cache.find(created.id)!;
    expect(rotated.version).toBe(first.version + 1);
    expect(cache.saml(rotated)).not.toBe(ctx);
    expect(cache.saml(rotated).connection.saml.idp_certificates.map((c) => c.fingerprint)).toEqual([parseIdpCertificate(next.cert).fingerprint]);

    await cli.sso.connections.delete(tenant.id, created.id, systemActor());
    expect(cache.find(created.id)).toBeUndefined();
    expect(cache.find('conn_unknown')).toBeUndefined();
  });
});
