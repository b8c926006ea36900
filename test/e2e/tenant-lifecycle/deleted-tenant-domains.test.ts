import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * A deleted tenant is gone (soft delete: its row stays for the audit log). The email domains it
 * had verified must go with it: another tenant (the same company signing up again, or the one
 * that really owns the domain now) can verify them, and logins by email are routed there.
 */
describe("a deleted tenant's verified domains", () => {
  let env: SsoEnv;
  const oldIdp = new TestSamlIdp('http://www.okta.com/exkOLD', 'https://old.okta.test/sso');
  const newIdp = new TestSamlIdp('http://www.okta.com/exkNEW', 'https://new.okta.test/sso');
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const home = await env.tenant('Vendor', 'vendor');
    rp = await env.rp(await env.app(home.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  it('are released: another tenant verifies the domain, and login_hint routes to that tenant', async () => {
    const old = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(old.id, 'acme.test');
    await env.samlConnection(old.id, oldIdp);
    expect((await env.api('DELETE', `/admin/v1/tenants/${old.id}`)).status).toBe(204);

    const fresh = await env.tenant('Acme again', 'acme-2');
    await env.samlConnection(fresh.id, newIdp);
    const d = await env.ok('POST', `/admin/v1/tenants/${fresh.id}/domains`, { domain: 'acme.test' });
    env.txt.set(d.verification.name, [[d.verification.value]]);
    const verified = await env.api('POST', `/admin/v1/tenants/${fresh.id}/domains/${d.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body.verified).toBe(true);
    expect(env.audit(fresh.id, 'sso.domain.verified').at(-1)?.metadata).toMatchObject({ released_from_deleted_tenant: old.id });

    const { url } = await authorizationRequest(rp, { login_hint: 'alice@acme.test' });
    const toIdp = await new Browser().follow(url.toString(), (l) => l.startsWith(newIdp.ssoUrl) || l.startsWith(oldIdp.ssoUrl) || l.startsWith('http://127.0.0.1:9/'));
    expect(toIdp.url.startsWith(newIdp.ssoUrl)).toBe(true);
  });
});
