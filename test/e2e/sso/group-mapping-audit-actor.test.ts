import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';

const bin = requireOpenFgaBinary();

/**
 * The role a sign-in's IdP groups map to is written in the person's name: the audit log's
 * `authz.tuples.written` event of that sign-in carries the signing-in user as its actor, as
 * `sso.login.succeeded` does (it said `system`), on both backends (the remote one writes it
 * from its queue, after the sign-in's transaction).
 */
describe.each([
  { backend: 'embedded', skip: false },
  { backend: 'openfga', skip: !bin },
])('audit of the roles a sign-in maps ($backend backend)', ({ backend, skip }) => {
  if (skip) return void it.skip(`needs the OpenFGA server: ${OPENFGA_MISSING_REASON}`);
  let fga: OpenFgaServer | undefined;
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    if (backend === 'openfga') fga = await OpenFgaServer.start(bin as string);
    env = await SsoEnv.start({ config: fga ? { authz: 'openfga', openfgaUrl: fga.url } : {} });
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] });
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await fga?.stop();
  });

  it('credits the mapped role to the person signing in, as the sign-in itself', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test', attributes: { groups: ['Admins'] } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const login = env.audit(tenant.id, 'sso.login.succeeded').at(-1);
    const written = env.audit(tenant.id, 'authz.tuples.written').filter((e) => JSON.stringify(e).includes('"admin"'));
    expect(login?.actor.type).toBe('user');
    expect(written).toHaveLength(1);
    expect(written[0]?.actor).toMatchObject({ type: 'user', id: login?.actor.id });
  });
});
