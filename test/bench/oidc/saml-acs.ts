import { rmSync } from 'node:fs';
import { SignedXml } from 'xml-crypto';
import { DOMParser } from '@xmldom/xmldom';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { tempDir } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { buildSaml, samlContext } from '../../../src/sso/saml/service-provider.ts';

const ROUND = 25;

/**
 * SAML ACS throughput against raw xml-crypto signature verification of the same responses, in
 * one process and one run. ACS = the whole handler behind `/sso/saml/{id}/acs` (screening,
 * envelope checks, node-saml verification, replay cache, linking, session, audit), called
 * in process so HTTP framing (a constant) is left out of both sides.
 */
export async function benchSamlAcs(
  count: number,
  warmup = 50,
): Promise<{ acsPerSecond: number; rawPerSecond: number; nodeSamlPerSecond: number; ratio: number; nodeSamlRatio: number }> {
  const base = 'http://127.0.0.1:1';
  const dataDir = tempDir('portcullis-bench-saml-');
  const s = buildServices(loadConfig({}, { dataDir, baseUrl: base, logLevel: 'silent' }));
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
  // The verifier the ACS runs, alone (same settings, nothing else): the ceiling for the ACS ratio.
  const nodeSaml = buildSaml(samlContext(connection, base, s.sso.box));
  const verifyAlone = async (form: Record<string, string>) => {
    if (!(await nodeSaml.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse as string })).profile) throw new Error('node-saml refused a valid response');
  };
  const sides = {
    raw: async ({ xml }: (typeof items)[number]) => {
      if (!rawVerify(xml, idp.signer.cert)) throw new Error('raw verification failed');
    },
    nodeSaml: ({ form }: (typeof items)[number]) => verifyAlone(form),
    acs: ({ form }: (typeof items)[number]) => acs(form),
  };
  // Warm every path up (JIT) on their own responses, then time the rest.
  for (const item of items.splice(0, warmup)) for (const run of Object.values(sides)) await run(item);
  // In rounds of ROUND responses, each side running the whole round in turn (rotating which goes
  // first), so every side sees the same machine load and pays for its own garbage collection.
  const seconds = { raw: 0, nodeSaml: 0, acs: 0 };
  const ratios: { acs: number[]; nodeSaml: number[] } = { acs: [], nodeSaml: [] };
  const order = ['raw', 'nodeSaml', 'acs'] as const;
  for (let r = 0; r * ROUND < items.length; r++) {
    const round = items.slice(r * ROUND, (r + 1) * ROUND);
    const took = { raw: 0, nodeSaml: 0, acs: 0 };
    for (const side of [...order.slice(r % 3), ...order.slice(0, r % 3)]) {
      const t0 = performance.now();
      for (const item of round) await sides[side](item);
      took[side] = (performance.now() - t0) / 1000;
      seconds[side] += took[side];
    }
    ratios.acs.push(took.raw / took.acs);
    ratios.nodeSaml.push(took.raw / took.nodeSaml);
  }
  await s.close();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    acsPerSecond: count / seconds.acs,
    rawPerSecond: count / seconds.raw,
    nodeSamlPerSecond: count / seconds.nodeSaml,
    // The median round: a burst of load from a neighbour skews one round, not the figure.
    ratio: median(ratios.acs),
    nodeSamlRatio: median(ratios.nodeSaml),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** What a minimal SP must at least do: parse, find the assertion's signature, check it with xml-crypto. */
function rawVerify(xml: string, cert: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
  const sig = new SignedXml({ publicCert: cert });
  sig.loadSignature(signature as unknown as Node);
  return sig.checkSignature(xml);
}
