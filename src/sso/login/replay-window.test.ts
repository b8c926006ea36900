import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { TestSamlIdp } from '../../../test/helpers/saml-idp.ts';
import { systemActor } from '../../audit/events.ts';
import type { Connection } from '../connections/connection.ts';

/**
 * An assertion id stays in the replay cache for as long as any skew a connection may be given
 * would still let the assertion through: raising the skew after a sign-in reopens no window.
 * (node-saml judges the assertion by the system clock; the harness moves only Portcullis' clock,
 * which is what keeps or forgets the id.)
 */
describe('SAML replay cache and the connection clock skew', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let tenantId: string;
  let connection: Connection;

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    connection = await h.services.sso.connections.create(tenantId, { name: 'Okta', protocol: 'saml', status: 'testing', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
  });
  afterAll(() => h.close());

  async function testLogin(assertionId: string, notOnOrAfter: Date) {
    const login = h.services.sso.login;
    const req = TestSamlIdp.readAuthnRequest(await login.begin({ connection, purpose: 'test', interactionUid: null }));
    const response = idp.response({ id: assertionId, recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'ada@acme.test', notBefore: new Date(notOnOrAfter.getTime() - 60_000), notOnOrAfter });
    return login.samlAcs(connection.id, { SAMLResponse: response, RelayState: req.relayState }, systemActor());
  }

  it('refuses a replay after the admin raised the skew, once the old skew would have let the id be forgotten', async () => {
    const wallNow = Date.now();
    const expired = new Date(wallNow - 10_000);
    h.clock.set(new Date(wallNow));
    expect(await testLogin('_assertion_skew_replay', expired)).toMatchObject({ outcome: 'succeeded' });
    connection = await h.services.sso.connections.update(tenantId, connection.id, { saml: { clock_skew_seconds: 600 } }, undefined, systemActor());
    h.clock.set(new Date(wallNow + 120_000));
    expect(await testLogin('_assertion_skew_replay', expired)).toMatchObject({ outcome: 'failed', reason: 'saml_assertion_replayed' });
  });
});
