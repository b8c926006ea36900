import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { HoldingRelay } from '../../helpers/tcp-relay.ts';
import { scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

const bin = requireOpenFgaBinary();

/**
 * SCIM deprovisioning on a remote OpenFGA server that cannot be reached when the request comes:
 * the IdP is told (5xx), and nothing the request did in Portcullis' own database is left without
 * its remote half — the apps still hear of the sessions that ended, and a retry of the same
 * request finishes the tuple deletion.
 */
describe.skipIf(!bin)(`SCIM deprovisioning while OpenFGA is unreachable (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  let relay: HoldingRelay;
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let receiver: LogoutReceiver;
  let okta: ScimDirectory;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    relay = new HoldingRelay();
    await relay.start(new URL(server.url));
    env = await SsoEnv.start({ config: { authz: 'openfga', openfgaUrl: relay.url } });
    tenant = await env.tenant('Acme', 'acme');
    okta = await scimDirectory(env, tenant.id, 'Okta');
    await env.samlConnection(tenant.id, idp);
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    const app = await env.app(tenant.id, { backchannel_logout_uri: receiver.url });
    receiver.audience = app.client_id;
    rp = await env.rp(app);
  }, 60_000);
  afterEach(() => {
    relay.mode = 'pass';
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
    await relay?.close();
    await server?.stop();
  });

  /** A pushed user, signed in through the app, with a tuple of its own on the organization. */
  async function signedInUser(name: string) {
    const id = await okta.push({ userName: `${name}@acme.test`, externalId: `${name}@acme.test`, email: `${name}@acme.test` });
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: `${name}@acme.test` }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    expect(tokens.claims()?.sub).toBe(id);
    await env.services.authz.write(tenant.authz_store_id, { writes: { tuple_keys: [{ user: `user:${id}`, relation: 'viewer', object: `organization:${tenant.id}` }] } });
    return { id, tokens };
  }
  const viewer = async (id: string) =>
    (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${id}`, relation: 'viewer', object: `organization:${tenant.id}` } })).allowed;
  const logoutsFor = (id: string) => receiver.tokens.filter((t) => t.sub === id).length;

  it('a deactivation that fails on OpenFGA still sends back-channel logout for the sessions it ended, and its retry finishes the tuples', async () => {
    const ada = await signedInUser('ada');
    expect(await viewer(ada.id)).toBe(true);
    relay.cut();
    const failed = await okta.call('PATCH', `/Users/${ada.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    // The session ended in Portcullis' database with the failed request: the app must hear of it.
    expect(logoutsFor(ada.id)).toBe(1);
    await expect(client.refreshTokenGrant(rp, ada.tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });

    relay.mode = 'pass';
    const retried = await okta.call('PATCH', `/Users/${ada.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(retried.status).toBe(200);
    expect(await viewer(ada.id)).toBe(false);
    expect(logoutsFor(ada.id)).toBe(1);
  }, 60_000);

  it('a deactivation behind tuple work already stuck on OpenFGA still ends the sessions at once (the work waits, not the revocation)', async () => {
    const eve = await signedInUser('eve');
    const g = await okta.call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Backlog', members: [{ value: eve.id }] });
    relay.cut();
    const removal = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${eve.id}"]` }] };
    expect((await okta.call('PATCH', `/Groups/${g.body.id}`, removal)).status).toBeGreaterThanOrEqual(500);
    const off = await okta.call('PATCH', `/Users/${eve.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBeGreaterThanOrEqual(500);
    expect(logoutsFor(eve.id)).toBe(1);
    await expect(client.refreshTokenGrant(rp, eve.tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    relay.mode = 'pass';
    await env.services.authzWriter.finishPending(tenant.authz_store_id);
    expect(await viewer(eve.id)).toBe(false);
  }, 60_000);

  it('a DELETE that fails on OpenFGA is finished by its retry: the user keeps no tuple', async () => {
    const bo = await signedInUser('bo');
    relay.cut();
    expect((await okta.call('DELETE', `/Users/${bo.id}`)).status).toBeGreaterThanOrEqual(500);
    expect(logoutsFor(bo.id)).toBe(1);
    relay.mode = 'pass';
    expect(await viewer(bo.id)).toBe(true);
    // Entra retries a DELETE answered 5xx.
    const retried = await okta.call('DELETE', `/Users/${bo.id}`);
    expect(retried.status).toBe(404);
    expect(await viewer(bo.id)).toBe(false);
  }, 60_000);

  it('a group DELETE that fails on OpenFGA is finished by its retry: the members lose the mapped relation', async () => {
    const cy = await signedInUser('cy');
    const g = await okta.call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Admins', members: [{ value: cy.id }] });
    expect(g.status).toBe(201);
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/group-mappings`, { directory_id: okta.id, group_display_name: 'Admins', relation: 'admin' });
    const admin = async () => (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${cy.id}`, relation: 'admin', object: `organization:${tenant.id}` } })).allowed;
    expect(await admin()).toBe(true);
    relay.cut();
    expect((await okta.call('DELETE', `/Groups/${g.body.id}`)).status).toBeGreaterThanOrEqual(500);
    relay.mode = 'pass';
    const retried = await okta.call('DELETE', `/Groups/${g.body.id}`);
    expect(retried.status).toBe(404);
    expect(await admin()).toBe(false);
  }, 60_000);

  it('a member removal that fails on OpenFGA is finished by its retry: the user leaves the group in the store', async () => {
    const di = await signedInUser('di');
    const g = await okta.call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Ops', members: [{ value: di.id }] });
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/group-mappings`, { directory_id: okta.id, group_display_name: 'Ops', relation: 'member' });
    const member = async () => (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${di.id}`, relation: 'member', object: `group:${g.body.id}` } })).allowed;
    expect(await member()).toBe(true);
    const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${di.id}"]` }] };
    relay.cut();
    expect((await okta.call('PATCH', `/Groups/${g.body.id}`, body)).status).toBeGreaterThanOrEqual(500);
    relay.mode = 'pass';
    const retried = await okta.call('PATCH', `/Groups/${g.body.id}`, body);
    expect(retried.status).toBe(204);
    expect(await member()).toBe(false);
  }, 60_000);
});
