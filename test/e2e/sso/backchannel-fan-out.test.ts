import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { BACKCHANNEL_CONCURRENCY } from '../../../src/oidc/constants.ts';

const APPS = BACKCHANNEL_CONCURRENCY + 4;

/**
 * One person signed in to more apps than the back-channel bound: deprovisioning tells every app
 * over the back channel, never more than the bound at once. The apps share one slow endpoint
 * (each answer held 150 ms), so deliveries sent together overlap there.
 */
describe('back-channel logout fan-out', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const receiver = new LogoutReceiver();
  const rps: client.Configuration[] = [];

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
  });
  afterAll(async () => {
    await receiver.close();
    await env?.close();
  });

  it(`notifies all ${APPS} apps of a deactivated user, at most ${BACKCHANNEL_CONCURRENCY} deliveries in flight at once`, async () => {
    const userId = env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
    const browser = new Browser();
    for (const rp of rps) {
      const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test' }));
      expect(flow.landed).toMatch(/\/callback\?code=/);
    }
    receiver.holdMs = 150;
    await env.deactivate(tenant.id, userId);
    expect(receiver.tokens).toHaveLength(APPS);
    expect(new Set(receiver.tokens.map((t) => t.aud)).size).toBe(APPS);
    expect(receiver.tokens.every((t) => t.sub === userId)).toBe(true);
    expect(receiver.maxInFlight).toBeLessThanOrEqual(BACKCHANNEL_CONCURRENCY);
    expect(receiver.maxInFlight).toBeGreaterThan(1); // still in parallel, not one by one
  });
});
