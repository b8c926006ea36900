import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { TestSamlIdp, testKey, type ResponseOptions } from '../../helpers/saml-idp.ts';
import { createSpKeyPair } from '../../../src/sso/saml/certificates.ts';

const MS = 'http://schemas.microsoft.com';
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const ENTRA = {
  oid: `${MS}/identity/claims/objectidentifier`,
  email: `${CLAIMS}/emailaddress`,
  groups: `${MS}/ws/2008/06/identity/claims/groups`,
  // What Entra ID sends instead of the groups claim when the user is in more than 150 groups (SAML).
  groupsLink: `${MS}/claims/groups.link`,
};
const ADMINS = '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const FINANCE = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const GRAPH = 'https://graph.windows.net/9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f/users/3f2a1b0c/getMemberObjects';

/**
 * What real IdPs put in assertions and ID tokens beyond the happy path: Entra ID's groups
 * overage (no groups claim, a link to Microsoft Graph instead), and the shapes attribute values
 * take (several values, padding, case, Unicode forms, lengths, NameID formats).
 */
describe('claims as real IdPs send them', () => {
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp('https://sts.windows.net/9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f/', 'https://login.microsoftonline.com/9b1c6f0e/saml2');

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Hopper', 'hopper');
    await env.verifiedDomain(tenant.id, 'hopper.test');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    await env.samlConnection(tenant.id, idp, {
      name: 'Entra ID',
      attribute_preset: 'entra',
      group_mappings: [{ idp_group: ADMINS, relation: 'admin' }, { idp_group: FINANCE, relation: 'member' }],
    });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  const lastFailure = () => env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata;
  const has = async (userId: string, relation: string) =>
    (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${userId}`, relation, object: `organization:${tenant.id}` } })).allowed;

  /** A SAML sign-in with these assertion options; the ID token claims, or the audited failure reason. */
  async function samlSignIn(o: Partial<ResponseOptions>): Promise<{ claims?: client.IDToken; reason?: unknown }> {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'hopper' }, () => o);
    if (!/\/callback\?code=/.test(flow.landed)) return { reason: lastFailure()?.reason };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { claims: tokens.claims()! };
  }
  const entra = (oid: string, email: string, more: Record<string, string | string[]> = {}) => ({
    nameId: email,
    attributes: { [ENTRA.oid]: oid, [ENTRA.email]: email, ...more },
  });

  describe("Entra ID's groups overage", () => {
    it('keeps the mapped roles of a user whose groups did not fit in the SAML token, and audits the overage', async () => {
      const first = await samlSignIn(entra('oid-grace', 'grace@hopper.test', { [ENTRA.groups]: [ADMINS, FINANCE] }));
      const sub = first.claims!.sub;
      expect([await has(sub, 'admin'), await has(sub, 'member')]).toEqual([true, true]);
      const mapped = env.audit(tenant.id, 'sso.groups.mapped').length;

      const overage = await samlSignIn(entra('oid-grace', 'grace@hopper.test', { [ENTRA.groupsLink]: GRAPH }));
      expect(overage.claims?.sub).toBe(sub);
      expect([await has(sub, 'admin'), await has(sub, 'member')]).toEqual([true, true]);
      expect(env.audit(tenant.id, 'sso.groups.mapped')).toHaveLength(mapped);
      expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ groups_overage: true, groups_unchanged: ['admin', 'member'] });
    });

    it('still removes a mapped role when the IdP sends a groups claim without that group (no overage marker)', async () => {
      const first = await samlSignIn(entra('oid-linus', 'linus@hopper.test', { [ENTRA.groups]: [ADMINS] }));
      const sub = first.claims!.sub;
      expect(await has(sub, 'admin')).toBe(true);
      await samlSignIn(entra('oid-linus', 'linus@hopper.test', { [ENTRA.groups]: [FINANCE] }));
      expect([await has(sub, 'admin'), await has(sub, 'member')]).toEqual([false, true]);
      expect(env.audit(tenant.id, 'sso.groups.mapped').at(-1)?.metadata).toMatchObject({ granted: ['member'], removed: ['admin'] });
      expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata?.groups_overage).toBeUndefined();
    });

    it("puts the IdP's groups and the user's SCIM groups in the ID token, and only the SCIM groups at an overage sign-in", async () => {
      const dir = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/directories`, { name: 'Entra' });
      const token = (await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/directories/${dir.id}/tokens`, { name: 'entra' })).token;
      const scim = async (path: string, body: unknown) =>
        (await fetch(`${env.base}/scim/v2/${dir.id}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) })).json() as Promise<{ id: string }>;
      const user = await scim('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@hopper.test', externalId: 'oid-ada', emails: [{ type: 'work', value: 'ada@hopper.test' }], active: true });
      await scim('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Hopper Engineers', members: [{ value: user.id }] });
      const withGroups = await samlSignIn(entra('oid-ada', 'ada@hopper.test', { [ENTRA.groups]: [ADMINS] }));
      expect(withGroups.claims).toMatchObject({ sub: user.id, groups: ['6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', 'Hopper Engineers'] });
      const overage = await samlSignIn(entra('oid-ada', 'ada@hopper.test', { [ENTRA.groupsLink]: GRAPH }));
      expect(overage.claims).toMatchObject({ sub: user.id, groups: ['Hopper Engineers'] });
    });

    it('uses the groups claim as sent when an IdP sends both it and an overage marker', async () => {
      const first = await samlSignIn(entra('oid-kay', 'kay@hopper.test', { [ENTRA.groups]: [ADMINS] }));
      const sub = first.claims!.sub;
      await samlSignIn(entra('oid-kay', 'kay@hopper.test', { [ENTRA.groups]: [FINANCE], [ENTRA.groupsLink]: GRAPH }));
      expect([await has(sub, 'admin'), await has(sub, 'member')]).toEqual([false, true]);
    });
  });

  describe('an Entra ID OIDC connection with groups overage (`_claim_names` / `_claim_sources`)', () => {
    let upstream: OAuth2Server;
    let claims: Record<string, unknown> = {};
    let connectionId = '';

    beforeAll(async () => {
      upstream = await startUpstreamIdp(() => ({ aud: 'entra-app', ...claims }));
      connectionId = (
        await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
          name: 'Entra OIDC',
          protocol: 'oidc',
          status: 'active',
          attribute_preset: 'entra',
          group_mappings: [{ idp_group: ADMINS, relation: 'admin' }],
          oidc: { issuer: upstream.issuer.url, client_id: 'entra-app', client_secret: 'upstream-secret', scopes: 'openid email profile' },
        })
      ).id;
    });
    afterAll(() => upstream?.stop());

    async function oidcSignIn(): Promise<string> {
      const { url, verifier, state } = await authorizationRequest(rp, { organization: 'hopper', connection: connectionId });
      const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
      expect(done.url, JSON.stringify(lastFailure())).toMatch(/\/callback\?code=/);
      return (await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state })).claims()!.sub;
    }

    it('keeps the mapped role when the ID token carries a distributed groups claim instead of groups', async () => {
      claims = { sub: 'pairwise-ada', oid: 'oid-ada', email: 'ada@hopper.test', groups: [ADMINS] };
      const sub = await oidcSignIn();
      expect(await has(sub, 'admin')).toBe(true);
      claims = { sub: 'pairwise-ada', oid: 'oid-ada', email: 'ada@hopper.test', _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: GRAPH } } };
      expect(await oidcSignIn()).toBe(sub);
      expect(await has(sub, 'admin')).toBe(true);
      expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ groups_overage: true, groups_unchanged: ['admin'] });
    });

    it('keeps the mapped role on the implicit-flow marker `hasgroups: true`, and removes it when groups are sent without it', async () => {
      claims = { sub: 'pairwise-ada', oid: 'oid-ada', email: 'ada@hopper.test', hasgroups: true };
      const sub = await oidcSignIn();
      expect(await has(sub, 'admin')).toBe(true);
      claims = { sub: 'pairwise-ada', oid: 'oid-ada', email: 'ada@hopper.test', groups: [] };
      await oidcSignIn();
      expect(await has(sub, 'admin')).toBe(false);
    });
  });

  describe('attribute values and NameIDs as an Okta SAML app sends them', () => {
    const okta = new TestSamlIdp('http://www.okta.com/exk2hopper', 'https://hopper.okta.test/app/sso/saml');
    let oktaConnection = '';
    const NAMEID = 'urn:oasis:names:tc:SAML:2.0:nameid-format';

    beforeAll(async () => {
      oktaConnection = (await env.samlConnection(tenant.id, okta, { name: 'Okta', attribute_preset: 'okta' })).id;
    });

    async function oktaSignIn(nameId: string, attributes: Record<string, string | string[]>, nameIdFormat?: string) {
      const flow = await env.samlLogin(new Browser(), rp, okta, { organization: 'hopper', connection: oktaConnection }, () => ({ nameId, attributes, ...(nameIdFormat ? { nameIdFormat } : {}) }));
      if (!/\/callback\?code=/.test(flow.landed)) return { reason: lastFailure()?.reason as string | undefined, detail: lastFailure()?.detail as string };
      const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
      const sub = tokens.claims()!.sub;
      return { claims: tokens.claims()!, user: env.services.directory.findUserById(tenant.id, sub)! };
    }

    it('takes the first of several email values, trimmed and lower-cased, and trims the NameID', async () => {
      const r = await oktaSignIn('  00uPadded  ', { email: ['  Ada.Byron@HOPPER.test ', 'other@hopper.test'], firstName: ' Ada ' });
      expect(r.user).toMatchObject({ external_id: '00uPadded', email: 'ada.byron@hopper.test', given_name: 'Ada' });
      expect(r.claims?.email).toBe('ada.byron@hopper.test');
    });

    it('uses persistent and unspecified NameIDs as the external id, as sent', async () => {
      expect((await oktaSignIn('00uPersistent', { email: 'per@hopper.test' }, `${NAMEID}:persistent`)).user?.external_id).toBe('00uPersistent');
      expect((await oktaSignIn('00uUnspecified', { email: 'uns@hopper.test' }, 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified')).user?.external_id).toBe('00uUnspecified');
    });

    it('refuses a transient NameID as the external id instead of creating a new user at every sign-in', async () => {
      const created = env.audit(tenant.id, 'directory.user.created').length;
      const r = await oktaSignIn('_3f9a7c1e0b2d', { email: 'transient@hopper.test' }, `${NAMEID}:transient`);
      expect(r.reason).toBe('missing_external_id');
      expect(r.detail).toMatch(/transient/);
      expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    });

    it('refuses an empty or blank NameID', async () => {
      expect((await oktaSignIn('', { email: 'empty@hopper.test' })).reason).toBe('saml_invalid_response');
      expect((await oktaSignIn('   ', { email: 'blank@hopper.test' })).reason).toBe('saml_invalid_response');
    });

    it('links a decomposed-Unicode (NFD) email to the SCIM user whose email is composed (NFC), never creating a look-alike', async () => {
      const jose = env.provisionUser(tenant.id, { userName: 'jos\u00e9@hopper.test', email: 'jos\u00e9@hopper.test', externalId: 'scim-jose' });
      const created = env.audit(tenant.id, 'directory.user.created').length;
      const r = await oktaSignIn('00uJose', { email: 'Jose\u0301@hopper.test' });
      expect(r.user?.id).toBe(jose);
      expect(r.claims?.email).toBe('jos\u00e9@hopper.test');
      expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
      expect(env.audit(tenant.id, 'sso.user.linked').at(-1)?.metadata).toMatchObject({ linked_by: 'verified_email', external_id: '00uJose' });
    });
  });

  describe('IdP metadata import', () => {
    const connections = () => env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sso_connections').get() as { n: number };
    const create = (saml: Record<string, unknown>) => env.api('POST', `/admin/v1/tenants/${tenant.id}/connections`, { name: 'Imported', protocol: 'saml', saml });
    const md = new TestSamlIdp('https://idp.example.test/entity', 'https://idp.example.test/sso');
    const entity = (xml: string) => xml.replace(/^<\?xml[^>]*\?>/, '');

    async function refused(saml: Record<string, unknown>, status: number, code: string | RegExp, message?: RegExp) {
      const before = connections().n;
      const r = await create(saml);
      expect([r.status, r.body.code]).toEqual([status, typeof code === 'string' ? code : expect.stringMatching(code)]);
      if (message) expect(r.body.message).toMatch(message);
      expect(connections().n).toBe(before);
    }

    it('refuses an EntitiesDescriptor with several IdPs instead of trusting whichever comes first', async () => {
      const other = new TestSamlIdp('https://other-idp.example.test/entity', 'https://other-idp.example.test/sso', testKey('attacker'));
      const aggregate = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${entity(other.metadataXml())}${entity(md.metadataXml())}</md:EntitiesDescriptor>`;
      await refused({ metadata_xml: aggregate }, 400, 'invalid_metadata', /2 identity providers/);
    });

    it('accepts an EntitiesDescriptor holding one IdP (beside an SP entity)', async () => {
      const sp = '<md:EntityDescriptor entityID="https://sp.example.test"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>';
      const r = await create({ metadata_xml: `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${sp}${entity(md.metadataXml())}</md:EntitiesDescriptor>` });
      expect(r.status).toBe(201);
      expect(r.body.saml).toMatchObject({ idp_entity_id: 'https://idp.example.test/entity', idp_sso_url: 'https://idp.example.test/sso' });
    });

    it('refuses an SSO URL with a javascript: or http: scheme, in metadata and given directly', async () => {
      for (const url of ['javascript:alert(document.domain)', 'http://idp.example.test/sso', ' https://idp.example.test/sso']) {
        await refused({ metadata_xml: md.metadataXml().replaceAll('https://idp.example.test/sso', url) }, 400, 'invalid_metadata', /HTTPS/);
        await refused({ idp_entity_id: 'e', idp_sso_url: url, idp_certificates: [testKey('idp').cert] }, 400, /^invalid_(request|connection)$/);
      }
    });

    it('refuses metadata listing more signing certificates than a connection may hold (10)', async () => {
      const certs = Array.from({ length: 11 }, (_, i) => createSpKeyPair(`idp-${i}`, new Date()).certificatePem);
      await refused({ metadata_xml: md.metadataXml(certs) }, 400, 'invalid_metadata', /11 signing certificates/);
      // Eleven distinct RSA key pairs are made first: seconds on a loaded 2-core machine (it timed out at 7 s twice).
    }, 30_000);

    it('refuses metadata above the 1 MiB body limit, and a DTD in it', async () => {
      const huge = md.metadataXml().replace('<md:NameIDFormat>', `<md:Extensions>${' '.repeat(1024 * 1024)}</md:Extensions><md:NameIDFormat>`);
      const before = connections().n;
      expect(await create({ metadata_xml: huge })).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
      expect(connections().n).toBe(before);
      await refused({ metadata_xml: `<!DOCTYPE md [<!ENTITY x SYSTEM "https://attacker.example/x.dtd">]>${entity(md.metadataXml())}` }, 400, 'invalid_metadata', /DTD/);
    });

    // Chosen behaviour: metadata pins keys, so certificate dates are not checked (as the SAML V2.0
    // Metadata Interoperability Profile says); `not_after` shows the admin when to roll over.
    it('imports an expired signing certificate, shows its end date, and verifies responses signed with its key', async () => {
      const expired = createSpKeyPair('expired-idp', new Date(Date.now() - 400 * 86_400_000), 30);
      const old = new TestSamlIdp('http://www.okta.com/exkexpired', 'https://expired.okta.test/sso', { key: expired.privateKeyPem, cert: expired.certificatePem });
      const conn = await env.samlConnection(tenant.id, old, { name: 'Expired cert', attribute_preset: 'okta' });
      const cert = conn.saml.idp_certificates[0];
      expect(cert.fingerprint).toBe(new X509Certificate(expired.certificatePem).fingerprint256);
      expect(Date.parse(cert.not_after)).toBeLessThan(Date.now());
      const flow = await env.samlLogin(new Browser(), rp, old, { organization: 'hopper', connection: conn.id }, () => ({ nameId: '00uExpired', attributes: { email: 'expired@hopper.test' } }));
      expect(flow.landed).toMatch(/\/callback\?code=/);
    });
  });
});
