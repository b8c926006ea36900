import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SAML } from '@node-saml/node-saml';
import { Harness } from '../../../test/helpers/harness.ts';
import { TestSamlIdp } from '../../../test/helpers/saml-idp.ts';
import { systemActor } from '../../audit/events.ts';
import { validateSamlResponse } from './acs.ts';
import { buildSaml, fallbackValidators, samlContext, type SamlContext } from './service-provider.ts';

/**
 * During an SP certificate rotation an IdP encrypts to one key at a time. The ACS tries the key
 * that last decrypted first, so a sign-in pays for one decryption attempt rather than failing
 * with every key that comes before the one the IdP uses.
 */
describe('SAML decryption keys during a certificate rotation', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let ctx: SamlContext;
  let certs: { current: string; pending: string };

  beforeAll(async () => {
    const tenant = await h.createTenant('Acme', 'acme');
    const sso = h.services.sso;
    const created = await sso.connections.create(tenant.id, { name: 'Okta', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
    const staged = sso.connections.spCertificates.stage(tenant.id, created.id, undefined, systemActor());
    certs = { current: staged.saml!.sp_certificate, pending: staged.saml!.sp_pending!.certificate };
    ctx = samlContext(staged, h.services.config.baseUrl, sso.box);
  });
  afterAll(() => h.close());

  const encryptedTo = (cert: string) => idp.response({ recipient: ctx.sp.acs_url, audience: ctx.sp.entity_id, nameId: 'ada@acme.test', encryptFor: cert });
  const attempts = () => {
    const spies = [buildSaml(ctx), ...fallbackValidators(ctx)].map((v: SAML) => vi.spyOn(v, 'validatePostResponseAsync'));
    return { counts: () => spies.map((s) => s.mock.calls.length), restore: () => spies.forEach((s) => s.mockRestore()) };
  };

  it('tries the current key, then the staged one; then starts with the key that worked', async () => {
    const seen = attempts();
    await validateSamlResponse(ctx, encryptedTo(certs.pending), null);
    expect(seen.counts()).toEqual([1, 1]);
    await validateSamlResponse(ctx, encryptedTo(certs.pending), null);
    expect(seen.counts()).toEqual([1, 2]);
    // The IdP goes back to the current certificate: found on the second try, then first again.
    await validateSamlResponse(ctx, encryptedTo(certs.current), null);
    await validateSamlResponse(ctx, encryptedTo(certs.current), null);
    expect(seen.counts()).toEqual([3, 3]);
    seen.restore();
  });

  it('reads the own signature of an assertion encrypted to the staged key with that key, to refuse its SHA-1', async () => {
    const sha1 = idp.response({ recipient: ctx.sp.acs_url, audience: ctx.sp.entity_id, nameId: 'ada@acme.test', encryptFor: certs.pending, sha1: true });
    await expect(validateSamlResponse(ctx, sha1, null)).rejects.toMatchObject({ reason: 'saml_sha1_signature_refused' });
  });

  it('still refuses an assertion encrypted to no key of the connection, having tried each once', async () => {
    const seen = attempts();
    const stranger = new TestSamlIdp().signer.cert;
    await expect(validateSamlResponse(ctx, encryptedTo(stranger), null)).rejects.toMatchObject({ reason: 'saml_decryption_failed' });
    expect(seen.counts()).toEqual([1, 1]);
    seen.restore();
  });
});
