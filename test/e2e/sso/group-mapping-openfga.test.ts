import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';

const bin = requireOpenFgaBinary();

/**
 * With a real OpenFGA server behind the authorization API, the roles a sign-in maps from IdP
 * groups are written there after the login's SQLite transaction commits. When that write fails
 * the sign-in fails as a whole: the person is told so, and no live session is left behind.
 */
describe.skipIf(!bin)(`SSO group mappings on a remote OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    env = await SsoEnv.start({ config: { authz: 'openfga', openfgaUrl: server.url } });
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] });
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await server?.stop();
  });

  const signIn = async () =>
    (await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test', attributes: { groups: ['Admins'] } }))).landed;
  const liveSessions = () =>
    (env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sessions WHERE tenant_id = ? AND revoked_at IS NULL').get(tenant.id) as { n: number }).n;

  it('writes the mapped role to OpenFGA at sign-in', async () => {
    expect(await signIn()).toMatch(/\/callback\?code=/);
    const userId = env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.target?.id;
    const check = await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${userId}`, relation: 'admin', object: `organization:${tenant.id}` } });
    expect(check.allowed).toBe(true);
  });

  it('fails the sign-in and revokes its session when OpenFGA cannot take the mapped roles', async () => {
    const live = liveSessions();
    await server.stop();
    const landed = await signIn();
    expect(landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'authz_unavailable' });
    expect(liveSessions()).toBe(live);
    const revoked = env.audit(tenant.id, 'session.revoked').at(-1);
    expect(revoked?.metadata).toEqual({ reason: 'authz_unavailable' });
  }, 60_000);
});
