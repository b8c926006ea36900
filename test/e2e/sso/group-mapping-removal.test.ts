import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';

const bin = requireOpenFgaBinary();

/**
 * An SSO group mapping grants its relation at each sign-in and takes it away when the group is
 * gone. When the IT admin removes or changes the mapping, or deletes the connection, what it
 * granted goes too, at once, for everyone who signed in through that connection; relations the
 * connection still maps, and other tenants, are left alone.
 */
describe.each([
  { backend: 'embedded', skip: false },
  { backend: 'openfga', skip: !bin },
])('taking an SSO group mapping away ($backend backend)', ({ backend, skip }) => {
  if (skip) return void it.skip(`needs the OpenFGA server: ${OPENFGA_MISSING_REASON}`);
  let fga: OpenFgaServer | undefined;
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let other: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let connection: string;
  const idp = new TestSamlIdp();
  const users: Record<string, string> = {};

  beforeAll(async () => {
    if (backend === 'openfga') fga = await OpenFgaServer.start(bin as string);
    env = await SsoEnv.start({ config: fga ? { authz: 'openfga', openfgaUrl: fga.url } : {} });
    tenant = await env.tenant('Acme', 'acme');
    other = await env.tenant('Globex', 'globex');
    connection = (await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }, { idp_group: 'Staff', relation: 'member' }] })).id;
    rp = await env.rp(await env.app(tenant.id));
    for (const name of ['ada', 'bo']) users[name] = env.provisionUser(tenant.id, { userName: `${name}@acme.test`, email: `${name}@acme.test`, externalId: `${name}@acme.test` });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await fga?.stop();
  });

  const has = async (t: { id: string; authz_store_id: string }, user: string, relation: string) =>
    (await env.services.authz.check(t.authz_store_id, { tuple_key: { user: `user:${user}`, relation, object: `organization:${t.id}` } })).allowed;
  const signIn = async (name: string, groups: string[]) =>
    (await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: `${name}@acme.test`, attributes: { groups } }))).landed;

  it('takes away a removed mapping’s relation from everyone who signed in through the connection, keeping the others', async () => {
    expect(await signIn('ada', ['Admins', 'Staff'])).toMatch(/\/callback\?code=/);
    expect(await signIn('bo', ['Staff'])).toMatch(/\/callback\?code=/);
    // A relation of the same name in another tenant's store, for the same user id, is not touched.
    await env.services.authz.write(other.authz_store_id, { writes: { tuple_keys: [{ user: `user:${users.ada}`, relation: 'admin', object: `organization:${other.id}` }] } });
    expect([await has(tenant, users.ada!, 'admin'), await has(tenant, users.ada!, 'member')]).toEqual([true, true]);

    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection}`, { group_mappings: [{ idp_group: 'Staff', relation: 'member' }] });
    expect([await has(tenant, users.ada!, 'admin'), await has(tenant, users.ada!, 'member'), await has(tenant, users.bo!, 'member')]).toEqual([false, true, true]);
    expect(await has(other, users.ada!, 'admin')).toBe(true);
    const deleted = env.audit(tenant.id, 'authz.tuples.deleted').at(-1);
    expect(deleted?.actor.type).toBe('platform_key');
    expect(JSON.stringify(deleted)).toContain(`user:${users.ada}`);
    // And a later sign-in with the group does not bring it back.
    expect(await signIn('ada', ['Admins', 'Staff'])).toMatch(/\/callback\?code=/);
    expect(await has(tenant, users.ada!, 'admin')).toBe(false);
  });

  it('takes away every relation the connection mapped when it is deleted', async () => {
    await env.ok('DELETE', `/admin/v1/tenants/${tenant.id}/connections/${connection}`);
    expect([await has(tenant, users.ada!, 'member'), await has(tenant, users.bo!, 'member')]).toEqual([false, false]);
  });
});
