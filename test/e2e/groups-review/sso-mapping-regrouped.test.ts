import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * An SSO mapping that moves a relation to another IdP group ("Contractors" → admin corrected to
 * "Admins" → admin) must take the relation from those who had it through the old group, as a
 * removed mapping does; they get it back at their next sign-in if the new group is theirs.
 */
describe('an SSO group mapping moved to another IdP group', () => {
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let connection: string;
  let ada: string;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    connection = (await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Contractors', relation: 'admin' }] })).id;
    rp = await env.rp(await env.app(tenant.id));
    ada = env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  }, 60_000);
  afterAll(async () => env?.close());

  const admin = async (user: string) =>
    (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${user}`, relation: 'admin', object: `organization:${tenant.id}` } })).allowed;

  it('takes the relation away from those who had it through the old group; a sign-in with the new group grants it again', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test', attributes: { groups: ['Contractors'] } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    expect(await admin(ada)).toBe(true);
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection}`, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] });
    expect(await admin(ada)).toBe(false);
    const again = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test', attributes: { groups: ['Admins'] } }));
    expect(again.landed).toMatch(/\/callback\?code=/);
    expect(await admin(ada)).toBe(true);
    // Adding a second group for the same relation takes nothing away.
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection}`, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }, { idp_group: 'Leads', relation: 'admin' }] });
    expect(await admin(ada)).toBe(true);
  });
});
