import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/**
 * The app's `login_hint` reaches the upstream OIDC IdP the person picks on the IdP picker, as it
 * does when the tenant has one IdP and there is no picker: the person is not asked for the
 * address twice.
 */
describe("the app's login_hint through the IdP picker", () => {
  let env: SsoEnv;
  let employees: OAuth2Server;
  let partners: OAuth2Server;
  let rp: client.Configuration;

  beforeAll(async () => {
    employees = await startUpstreamIdp();
    partners = await startUpstreamIdp();
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    for (const [name, idp] of [['Employees', employees], ['Partners', partners]] as const) {
      await env.ok('POST', `/admin/v1/tenants/${acme.id}/connections`, {
        name,
        protocol: 'oidc',
        status: 'active',
        oidc: { issuer: idp.issuer.url, client_id: 'portcullis', client_secret: 'upstream-secret', scopes: 'openid email profile' },
      });
    }
    rp = await env.rp(await env.app(acme.id));
  });
  afterAll(async () => {
    await env?.close();
    await employees?.stop();
    await partners?.stop();
  });

  it('passes login_hint to the IdP picked on the picker page', async () => {
    const { url } = await authorizationRequest(rp, { organization: 'acme', login_hint: 'ada@acme.test' });
    const browser = new Browser();
    const picker = await browser.follow(url.toString(), () => false);
    const html = await picker.res!.text();
    const links = [...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ href: m[1]!.replace(/&#38;|&amp;/g, '&'), name: m[2] }));
    expect(links.map((l) => l.name).sort()).toEqual(['Employees', 'Partners']);
    const upstream = employees.issuer.url as string;
    const atIdp = await browser.follow(new URL(links.find((l) => l.name === 'Employees')!.href, env.base).toString(), (l) => l.startsWith(upstream));
    expect(atIdp.url.startsWith(upstream)).toBe(true);
    expect(new URL(atIdp.url).searchParams.get('login_hint')).toBe('ada@acme.test');
  });
});
