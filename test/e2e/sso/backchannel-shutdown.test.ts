import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { BACKCHANNEL_CONCURRENCY, BACKCHANNEL_WAIT_MS } from '../../../src/oidc/constants.ts';

/** Each app answers after this long (within oidc-provider's 2.5 s per delivery). */
const HOLD_MS = 1500;
/** Enough apps that, when the deprovisioning request stops waiting, some logout tokens are not even sent yet. */
const APPS = BACKCHANNEL_CONCURRENCY * (Math.floor(BACKCHANNEL_WAIT_MS / HOLD_MS) + 1) + 2;

/**
 * A deprovisioning whose back-channel fan-out outlasts the request's wait (many apps, each slow
 * to answer): the SCIM answer goes back while logout tokens are still being sent. A graceful
 * shutdown right then (SIGTERM after the last request) still tells every app: the remaining
 * tokens are sent before the database closes, not dropped as failures.
 */
describe('back-channel logout still being sent at shutdown', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const receiver = new LogoutReceiver();
  const rps: client.Configuration[] = [];
  let closed = false;

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp);
    await receiver.start(`${env.base}/oidc`);
    const audiences: string[] = [];
    for (let i = 0; i < APPS; i++) {
      const app = await env.app(tenant.id, { name: `app ${i}`, backchannel_logout_uri: receiver.url });
      audiences.push(app.client_id);
      rps.push(await env.rp(app));
    }
    receiver.audience = audiences;
  }, 60_000);
  afterAll(async () => {
    await receiver.close();
    if (!closed) await env?.close();
  });

  it(`sends every one of the ${APPS} apps its logout token before the database closes`, async () => {
    const userId = env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
    const browser = new Browser();
    for (const rp of rps) {
      const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test' }));
      expect(flow.landed).toMatch(/\/callback\?code=/);
    }
    receiver.holdMs = HOLD_MS;
    await env.deactivate(tenant.id, userId);
    expect(receiver.tokens.length).toBeLessThan(APPS); // the request stopped waiting first
    closed = true;
    await env.close();
    expect(new Set(receiver.tokens.map((t) => t.aud)).size).toBe(APPS);
    expect(env.logs.lines.filter((l) => l.includes('back-channel logout failed'))).toEqual([]);
  }, 60_000);
});
