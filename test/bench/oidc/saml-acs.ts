import { SignedXml } from 'xml-crypto';
import { DOMParser } from '@xmldom/xmldom';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { tempDir } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * SAML ACS throughput against raw xml-crypto signature verification of the same responses, in
 * one process and one run. ACS = the whole handler behind `/sso/saml/{id}/acs` (screening,
 * envelope checks, node-saml verification, replay cache, linking, session, audit), called
 * in process so HTTP framing (a constant) is left out of both sides.
 */
export async function benchSamlAcs(count: number, warmup = 50): Promise<{ acsPerSecond: number; rawPerSecond: number; ratio: number }> {
  const base = 'http://127.0.0.1:1';
  const s = buildServices(loadConfig({}, { dataDir: tempDir('portcullis-bench-saml-'), baseUrl: base, logLevel: 'silent' }));
  const tenant = await s.tenants.create({ name: 'Bench', slug: 'bench' }, systemActor());
  const idp = new TestSamlIdp();
  const connection = await s.sso.connections.create(tenant.id, { name: 'idp', protocol: 'saml', status: 'active', attribute_preset: 'okta', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
  // Steady state: the users were provisioned by SCIM before they sign in.
  s.storage.transaction(() => {
    for (let i = 0; i < count + warmup; i++) s.directory.createUserJustInTime(tenant.id, { user_name: `user${i}@bench.test`, email: null, external_id: `user${i}@bench.test`, given_name: null, family_name: null, display_name: null }, systemActor());
  });
  const items: { form: Record<string, string>; xml: string }[] = [];
  for (let i = 0; i < count + warmup; i++) {
    const url = await s.sso.login.begin({ connection, purpose: 'login', interactionUid: `bench-${i}` });
    const req = TestSamlIdp.readAuthnRequest(url);
    const xml = idp.responseXml({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: `user${i}@bench.test`, attributes: { email: `user${i}@bench.test`, groups: ['Everyone'] } });
    items.push({ xml, form: { SAMLResponse: Buffer.from(xml).toString('base64'), RelayState: req.relayState } });
  }
  const acs = async (form: Record<string, string>) => {
    const outcome = await s.sso.login.samlAcs(connection.id, form, systemActor());
    if (outcome.kind !== 'login') throw new Error(`ACS refused a valid response: ${JSON.stringify(outcome)}`);
  };
  // Warm both paths up (JIT) on their own responses, then time the rest.
  for (const { xml, form } of items.splice(0, warmup)) {
    rawVerify(xml, idp.signer.cert);
    await acs(form);
  }
  // Interleaved, so both sides see the same machine load.
  let rawSeconds = 0;
  let acsSeconds = 0;
  for (const { xml, form } of items) {
    const t0 = performance.now();
    if (!rawVerify(xml, idp.signer.cert)) throw new Error('raw verification failed');
    const t1 = performance.now();
    await acs(form);
    const t2 = performance.now();
    rawSeconds += (t1 - t0) / 1000;
    acsSeconds += (t2 - t1) / 1000;
  }
  await s.close();
  const acsPerSecond = count / acsSeconds;
  const rawPerSecond = count / rawSeconds;
  return { acsPerSecond, rawPerSecond, ratio: acsPerSecond / rawPerSecond };
}

/** What a minimal SP must at least do: parse, find the assertion's signature, check it with xml-crypto. */
function rawVerify(xml: string, cert: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
  const sig = new SignedXml({ publicCert: cert });
  sig.loadSignature(signature as unknown as Node);
  return sig.checkSignature(xml);
}
