import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { AppSite } from '../../helpers/app-site.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { CHROMIUM_MISSING_REASON, launchChromium, requireChromium } from '../../helpers/chromium.ts';

const chromiumBin = requireChromium();

/**
 * Sign-in through an upstream OIDC IdP (oauth2-mock-server, answering as Entra ID does with an
 * `oid` and `tid`) in a real browser: the app on 127.0.0.1, Portcullis on `localhost` (another
 * site), the IdP on 127.0.0.1. The IdP's redirect back to Portcullis is a cross-site top-level
 * navigation, which must still carry the interaction's cookies.
 */
describe('upstream OIDC sign-in in a real browser', () => {
  if (!chromiumBin) return void it.skip(`needs Chromium: ${CHROMIUM_MISSING_REASON}`);
  let env: SsoEnv;
  let upstream: OAuth2Server;
  let app: AppSite;
  let browser: Browser;
  let tenant: { id: string };
  let connection: any;
  let claims: Record<string, unknown> = {};

  beforeAll(async () => {
    [env, upstream, app, browser] = await Promise.all([SsoEnv.start({ host: 'localhost' }), startUpstreamIdp(() => claims), AppSite.start(), launchChromium(chromiumBin)]);
    tenant = await env.tenant('Contoso', 'contoso');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    connection = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Entra ID',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'entra',
      // A client id without '-': oauth2-mock-server does not form-decode Basic credentials (RFC 6749 §2.3.1).
      oidc: { issuer: upstream.issuer.url, client_id: 'portcullisentra', client_secret: 'upstream-secret', scopes: 'openid email profile' },
    });
    await app.connect(`${env.base}/oidc`, await env.app(tenant.id, { redirect_uris: [app.redirectUri], post_logout_redirect_uris: [app.postLogoutRedirectUri] }));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await upstream?.stop();
    await env?.close();
  });

  async function page(): Promise<{ page: Page; visited: string[] }> {
    const context = await browser.newContext();
    const visited: string[] = [];
    context.on('request', (r) => visited.push(r.url()));
    const p = await context.newPage();
    p.setDefaultTimeout(10_000);
    return { page: p, visited };
  }

  it('signs a person in through the IdP and back to the app, provisioning them just in time', async () => {
    claims = { sub: 'entra-pairwise-1', oid: '7d1c6b0e-0000-4000-8000-00000000c0de', tid: '72f988bf-0000-4000-8000-000000000001', email: 'carol@contoso.test', preferred_username: 'carol@contoso.test', name: 'Carol Chen' };
    const { page: p, visited } = await page();
    await p.goto(`${app.url}/login?organization=contoso`);
    await p.waitForURL(`${app.url}/callback?**`);
    const shown = JSON.parse((await p.textContent('#claims')) as string);
    expect(shown).toMatchObject({ email: 'carol@contoso.test', name: 'Carol Chen', org_id: tenant.id, connection_id: connection.id });
    // The browser went to the IdP and came back to Portcullis' callback by itself.
    expect(visited.some((u) => u.startsWith(`${upstream.issuer.url}/authorize`))).toBe(true);
    expect(visited.some((u) => u.startsWith(`${env.base}/sso/oidc/${connection.id}/callback`))).toBe(true);
    const user = env.services.directory.findUserById(tenant.id, shown.sub);
    expect(user).toMatchObject({ external_id: '7d1c6b0e-0000-4000-8000-00000000c0de', email: 'carol@contoso.test' });
  });

  it('signs out from the app through Portcullis and lands back on the app', async () => {
    claims = { sub: 'entra-pairwise-2', oid: '7d1c6b0e-0000-4000-8000-00000000d00d', tid: '72f988bf-0000-4000-8000-000000000001', email: 'dan@contoso.test', name: 'Dan Diaz' };
    const { page: p } = await page();
    await p.goto(`${app.url}/login?organization=contoso`);
    await p.waitForURL(`${app.url}/callback?**`);
    const { sub } = JSON.parse((await p.textContent('#claims')) as string);
    await p.goto(`${app.url}/logout`);
    await p.click('button[value="yes"]');
    await p.waitForURL(`${app.url}/logged-out`);
    const logout = env.audit(tenant.id, 'oidc.logout').find((e) => e.actor.id === sub);
    expect(logout).toBeDefined();
    const ended = env.services.storage.sql.raw.prepare('SELECT revoked_reason FROM sessions WHERE id = ?').get(logout?.target?.id) as { revoked_reason: string | null };
    expect(ended.revoked_reason).toBe('logout');
  });
});
