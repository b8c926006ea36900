import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, encryptAssertion, signElement, testKey } from '../../helpers/saml-idp.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/saml');
const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');
const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Fills a recorded response template for one AuthnRequest. */
function fill(template: string, req: ReturnType<typeof TestSamlIdp.readAuthnRequest>): string {
  const values: Record<string, string> = {
    ACS: req.acs,
    AUDIENCE: req.issuer,
    IN_RESPONSE_TO: req.id,
    NOW: iso(0),
    EARLIER: iso(-60_000),
    LATER: iso(5 * 60_000),
    RESPONSE_ID: `_r${randomBytes(8).toString('hex')}`,
    ASSERTION_ID: `_a${randomBytes(8).toString('hex')}`,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => values[k] as string);
}

describe('recorded Okta and Entra ID artefacts', () => {
  let env: SsoEnv;
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const lovelace = await env.tenant('Lovelace', 'lovelace');
    const hopper = await env.tenant('Hopper', 'hopper');
    await env.verifiedDomain(lovelace.id, 'lovelace.test');
    await env.verifiedDomain(hopper.id, 'hopper.test');
    await env.ok('PUT', `/admin/v1/tenants/${lovelace.id}/sso-settings`, { jit_provisioning: true });
    await env.ok('PUT', `/admin/v1/tenants/${hopper.id}/sso-settings`, { jit_provisioning: true });
    await env.ok('POST', `/admin/v1/tenants/${lovelace.id}/connections`, { name: 'Okta', protocol: 'saml', status: 'active', attribute_preset: 'okta', saml: { metadata_xml: fixture('okta/metadata.xml') } });
    await env.ok('POST', `/admin/v1/tenants/${hopper.id}/connections`, { name: 'Entra ID', protocol: 'saml', status: 'active', attribute_preset: 'entra', saml: { metadata_xml: fixture('entra/metadata.xml') } });
    rp = await env.rp(await env.app(lovelace.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  async function login(organization: string, ssoUrl: string, build: (req: ReturnType<typeof TestSamlIdp.readAuthnRequest>) => string) {
    const idp = new TestSamlIdp('unused', ssoUrl);
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization }, (req) => ({ raw: Buffer.from(build(req)).toString('base64') }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return (await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state })).claims()!;
  }

  it('imports Okta metadata and signs Ada in from an Okta-shaped response (Response and Assertion signed)', async () => {
    const claims = await login('lovelace', 'https://portcullis-test.okta.com/app/', (req) => {
      const signedAssertion = signElement(fill(fixture('okta/response.xml'), req), 'Assertion', testKey('idp'), 'Issuer');
      return signElement(signedAssertion, 'Response', testKey('idp'), 'Issuer');
    });
    expect(claims).toMatchObject({ email: 'ada@lovelace.test', given_name: 'Ada', family_name: 'Lovelace', name: 'Ada Lovelace', org_slug: 'lovelace', amr: ['pwd'] });
    expect(claims.groups).toEqual(['Analytical Engine', 'Everyone']);
  });

  it("imports Entra ID metadata (two signing certificates) and accepts the next certificate during a rollover", async () => {
    const claims = await login('hopper', 'https://login.microsoftonline.com/', (req) => signElement(fill(fixture('entra/response.xml'), req), 'Assertion', testKey('idp-next'), 'Issuer'));
    expect(claims).toMatchObject({ email: 'grace@hopper.test', name: 'Grace Hopper', org_slug: 'hopper', amr: ['mfa'] });
    const user = env.services.directory.findUserByEmail(String(claims.org_id), 'grace@hopper.test');
    expect(user?.external_id).toBe('3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9');
  });

  it('decrypts an encrypted Entra assertion addressed to the connection certificate', async () => {
    const conn = (await env.ok('GET', '/admin/v1/tenants/hopper/connections')).data[0];
    const claims = await login('hopper', 'https://login.microsoftonline.com/', (req) => {
      const xml = fill(fixture('entra/response.xml'), req);
      const assertion = /<Assertion[\s\S]*<\/Assertion>/.exec(xml)![0];
      const signed = signElement(assertion, 'Assertion', testKey('idp'), 'Issuer');
      return xml.replace(assertion, encryptAssertion(signed, conn.saml.sp.certificate));
    });
    expect(claims).toMatchObject({ email: 'grace@hopper.test', org_slug: 'hopper' });
  });

  it('publishes SP metadata with the entity id, ACS and certificate an IdP admin needs', async () => {
    const conn = (await env.ok('GET', '/admin/v1/tenants/hopper/connections')).data[0];
    const res = await fetch(conn.saml.sp.metadata_url);
    expect(res.headers.get('content-type')).toMatch(/samlmetadata\+xml/);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${conn.saml.sp.entity_id}"`);
    expect(xml).toContain(`Location="${conn.saml.sp.acs_url}"`);
    const body = conn.saml.sp.certificate.replace(/-----[^-]+-----|\s/g, '');
    expect(xml.replace(/\s/g, '')).toContain(body);
    expect(xml).toMatch(/KeyDescriptor use="encryption"/);
    expect(xml).toMatch(/KeyDescriptor use="signing"/);
  });
});
