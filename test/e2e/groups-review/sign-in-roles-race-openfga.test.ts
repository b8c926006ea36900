import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';
import { DelayingRelay } from './delaying-relay.ts';

const bin = requireOpenFgaBinary();
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * On a remote OpenFGA server a sign-in writes its mapped roles after its transaction commits.
 * A deprovisioning or a mapping removal that happens in that window finds nothing to delete yet:
 * the sign-in's late write must not leave the role behind it.
 */
describe.skipIf(!bin)(`a sign-in's role write overtaken on OpenFGA (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new DelayingRelay();
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let okta: ScimDirectory;
  let connection: string;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    env = await SsoEnv.start({ config: { authz: 'openfga', openfgaUrl: relay.url } });
    tenant = await env.tenant('Acme', 'acme');
    okta = await scimDirectory(env, tenant.id, 'Okta');
    connection = (await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }, { idp_group: 'Staff', relation: 'member' }] })).id;
    rp = await env.rp(await env.app(tenant.id));
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await relay.close();
    await server?.stop();
  });

  const has = async (userId: string, relation: string) =>
    (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${userId}`, relation, object: `organization:${tenant.id}` } })).allowed;

  /** Runs `change` and returns once it has committed (its audit event is there), while it may still wait for its tuple work to reach OpenFGA. */
  async function committed<T>(action: string, change: () => Promise<T>): Promise<{ answer: Promise<T> }> {
    const before = env.audit(tenant.id, action).length;
    const answer = change();
    for (let i = 0; i < 200 && env.audit(tenant.id, action).length === before; i++) await sleep(25);
    expect(env.audit(tenant.id, action).length).toBe(before + 1);
    return { answer };
  }

  /** Starts a sign-in with the given groups and returns once its role write is being held back. */
  async function signInHeld(name: string, groups: string[]) {
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl));
    const req = TestSamlIdp.readAuthnRequest(toIdp.url);
    const response = idp.response(answerTo(req, `${name}@acme.test`, { attributes: { email: `${name}@acme.test`, groups } }));
    relay.arm();
    const acs = browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: response, RelayState: req.relayState } });
    for (let i = 0; i < 200 && !relay.holding; i++) await sleep(25);
    expect(relay.holding).toBe(true);
    return { acs };
  }

  it('a user deactivated while their sign-in writes its roles keeps none of them', async () => {
    const ada = await okta.push({ userName: 'ada@acme.test', externalId: 'ada@acme.test', email: 'ada@acme.test' });
    const { acs } = await signInHeld('ada', ['Admins']);
    // The deactivation commits while the role write is held; its own tuple work queues behind that write (same store), so it answers once the write has landed.
    const { answer: deactivated } = await committed('directory.user.deactivated', () =>
      okta.call('PATCH', `/Users/${ada}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] }),
    );
    let answered = false;
    void deactivated.then(() => (answered = true));
    await sleep(50);
    expect(answered).toBe(false);
    relay.release();
    expect((await deactivated).status).toBe(200);
    const landed = (await acs).url;
    expect(await has(ada, 'admin')).toBe(false);
    expect(landed).not.toMatch(/\/callback\?code=/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'user_deactivated', user_id: ada });
  }, 30_000);

  it('a mapping removed while a sign-in writes its role does not leave that role behind', async () => {
    const bo = await okta.push({ userName: 'bo@acme.test', externalId: 'bo@acme.test', email: 'bo@acme.test' });
    const { acs } = await signInHeld('bo', ['Admins', 'Staff']);
    const { answer: changed } = await committed('sso.connection.updated', () =>
      env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection}`, { group_mappings: [{ idp_group: 'Staff', relation: 'member' }] }),
    );
    relay.release();
    await changed;
    expect((await acs).url).toMatch(/\/callback\?code=/);
    expect([await has(bo, 'admin'), await has(bo, 'member')]).toEqual([false, true]);
  }, 30_000);
});
