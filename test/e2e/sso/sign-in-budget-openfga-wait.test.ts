import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';
import { FakeClock } from '../../../src/lib/clock.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { HoldingRelay } from '../../helpers/tcp-relay.ts';
import { rateLimitedCount } from '../../helpers/request-costs.ts';

const bin = requireOpenFgaBinary();

/**
 * A SAML sign-in with mapped roles writes them to a remote OpenFGA inside the ACS's timed work.
 * A slow OpenFGA is not the signing-in person's doing: its wait must not be charged to their
 * address (often a whole office behind one NAT).
 */
describe.skipIf(!bin)(`sign-in budget: an ACS waiting on a slow OpenFGA (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new HoldingRelay();
  let env: SsoEnv;
  let tenant: { id: string };
  let connection: { id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    env = await SsoEnv.start({
      clock: new FakeClock(new Date()),
      config: { authz: 'openfga', openfgaUrl: relay.url, trustProxy: '1', signInBudgetMsPerSecond: 1, signInBudgetBurstMs: 400 },
    });
    tenant = await env.tenant('Acme', 'acme');
    connection = await env.samlConnection(tenant.id, idp, { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] });
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await relay.close();
    await server?.stop();
  });

  it('charges the sign-in its own work, not the second the role write waited, so the address signs in again at once', async () => {
    const ada = new Browser({ 'x-forwarded-for': '198.51.100.30' });
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const req = TestSamlIdp.readAuthnRequest((await ada.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl))).url);
    const response = idp.response(answerTo(req, 'ada@acme.test', { attributes: { email: 'ada@acme.test', groups: ['Admins'] } }));

    relay.mode = 'hold';
    const acs = ada.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: response, RelayState: req.relayState } });
    for (let i = 0; i < 200 && relay.held === 0; i++) await sleep(25);
    expect(relay.held).toBeGreaterThan(0);
    await sleep(1000);
    relay.release();
    expect((await acs).url).toMatch(/\/callback\?code=/);

    expect((await ada.request(`${env.base}/sso/saml/${connection.id}/metadata`)).status).toBe(200);
    expect(await rateLimitedCount(env.direct, 'portcullis-sso')).toBe(0);
  }, 30_000);
});
