import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { HoldingRelay } from '../../helpers/tcp-relay.ts';

const bin = requireOpenFgaBinary();

/**
 * The roles a sign-in maps are written to a remote OpenFGA after the login's transaction commits.
 * Until that write has succeeded, the sign-in is not finished: the session it created must not
 * be reachable from the browser, even by one that asks for it while the write is still pending.
 */
describe.skipIf(!bin)(`SSO sign-in while its mapped roles are on their way to OpenFGA (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new HoldingRelay();
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    env = await SsoEnv.start({ config: { authz: 'openfga', openfgaUrl: relay.url } });
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] });
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await relay.close();
    await server?.stop();
  });

  const loginState = (id: string) =>
    env.services.storage.sql.raw.prepare('SELECT interaction_uid, result_session_id FROM sso_login_states WHERE id = ?').get(id) as
      | { interaction_uid: string; result_session_id: string | null }
      | undefined;

  it('does not hand the session to a browser that asks for it before the roles are written, and refuses the sign-in when they cannot be', async () => {
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl));
    const req = TestSamlIdp.readAuthnRequest(toIdp.url);
    const response = idp.response(answerTo(req, 'ada@acme.test', { attributes: { email: 'ada@acme.test', groups: ['Admins'] } }));

    relay.mode = 'hold';
    const acs = browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: response, RelayState: req.relayState } });
    // The login's transaction has committed and the role write is waiting on OpenFGA.
    for (let i = 0; i < 200 && relay.held === 0; i++) await sleep(25);
    expect(relay.held).toBeGreaterThan(0);
    const uid = loginState(req.relayState)!.interaction_uid;

    const early = await browser.follow(`${env.base}/oidc/interaction/${uid}/complete?state=${encodeURIComponent(req.relayState)}`, (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(early.url).not.toMatch(/\/callback\?code=/);

    relay.cut();
    expect((await acs).url).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'authz_unavailable' });
    expect(env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sessions WHERE tenant_id = ? AND revoked_at IS NULL').get(tenant.id)).toEqual({ n: 0 });
  }, 30_000);
});
