import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';

/**
 * Back-channel logout reaches only public addresses (oidc-provider's SSRF protection), except the
 * hosts an operator names in PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS (apps in the same private
 * network). Here 127.0.0.1 is named and `localhost` is not: both are loopback addresses.
 */
describe('back-channel logout to apps on a private network', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const receivers = { named: new LogoutReceiver(), unnamed: new LogoutReceiver() };
  const rps: Partial<Record<keyof typeof receivers, client.Configuration>> = {};

  beforeAll(async () => {
    env = await SsoEnv.start({ sso: { allowLoopbackBackchannel: false }, config: { backchannelPrivateHosts: ' 127.0.0.1 , intranet.example ' } });
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp);
    for (const [name, receiver] of Object.entries(receivers) as [keyof typeof receivers, LogoutReceiver][]) {
      await receiver.start(`${env.base}/oidc`);
      const uri = name === 'named' ? receiver.url : receiver.url.replace('127.0.0.1', 'localhost');
      const app = await env.app(tenant.id, { name, backchannel_logout_uri: uri });
      receiver.audience = app.client_id;
      rps[name] = await env.rp(app);
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    await env?.close();
  });

  it('delivers the logout token to a named private host and refuses the others, logging why', async () => {
    const userId = env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
    for (const rp of Object.values(rps)) {
      const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test' }));
      expect(flow.landed).toMatch(/\/callback\?code=/);
    }
    await env.deactivate(tenant.id, userId);
    expect(receivers.named.tokens.map((t) => t.sub)).toEqual([userId]);
    expect(receivers.unnamed.tokens).toEqual([]);
    const failures = env.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'back-channel logout failed');
    expect(failures.map((l) => l.client_id)).toEqual([receivers.unnamed.audience]);
  });
});
