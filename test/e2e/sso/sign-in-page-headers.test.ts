import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { CHROMIUM_MISSING_REASON, launchChromium, requireChromium } from '../../helpers/chromium.ts';

const chromiumBin = requireChromium();

/** The CSP of a response as directive → sources. */
function csp(res: Response): Map<string, string[]> {
  const header = res.headers.get('content-security-policy') ?? '';
  return new Map(header.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name as string, values]));
}

/**
 * Every page the sign-in flow shows a person (the provider's error, logout and form_post pages;
 * the interaction's picker and error pages; the SSO callback's error page) may not be framed by
 * another site (clickjacking: a hidden "Sign out" or "Continue" under a decoy), runs no script
 * but oidc-provider's own form_post auto-submit (allowed by its hash), is not MIME-sniffed and
 * is not cached.
 */
describe('the sign-in pages refuse framing and scripts and are not cached', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let acme: { id: string };
  let connection: { id: string };
  let app: { client_id: string; client_secret: string };
  let rp: client.Configuration;
  let sharedRp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    connection = await env.samlConnection(acme.id, idp);
    app = await env.app(acme.id, { name: 'Acme <img src=x onerror=alert(1)>' });
    rp = await env.rp(app);
    sharedRp = await env.rp(await env.app(acme.id, { name: 'B2B', multi_tenant: true }));
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
  });
  afterAll(() => env?.close());

  function expectLockedDown(name: string, res: Response): void {
    expect([name, res.headers.get('content-type')]).toEqual([name, expect.stringMatching(/^text\/html/)]);
    const policy = csp(res);
    expect([name, policy.get('frame-ancestors'), policy.get('default-src'), policy.get('base-uri')]).toEqual([name, ["'none'"], ["'none'"], ["'none'"]]);
    expect([name, (policy.get('script-src') ?? []).filter((s) => /unsafe/.test(s))]).toEqual([name, []]);
    expect([name, res.headers.get('x-frame-options'), res.headers.get('x-content-type-options'), res.headers.get('cache-control')]).toEqual([name, 'DENY', 'nosniff', 'no-store']);
  }

  it('sends them with frame-ancestors none, X-Frame-Options DENY, no script, nosniff and no-store', async () => {
    const browser = new Browser();
    const pages: [string, Response][] = [];
    pages.push(['authorization error', await browser.request(`${env.base}/oidc/auth?client_id=app_unknown&response_type=code`)]);
    pages.push(['expired interaction', await browser.request(`${env.base}/oidc/interaction/forged-uid`)]);
    const { url } = await authorizationRequest(sharedRp, {});
    const picker = await browser.follow(url.toString(), () => false);
    pages.push(['home-realm picker', picker.res as Response]);
    pages.push(['SSO callback error', await browser.request(`${env.base}/sso/saml/${connection.id}/acs`, { form: { SAMLResponse: 'x' } })]);
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    expect(new URL(flow.landed).searchParams.get('code')).toBeTruthy();
    const logout = await browser.request(`${env.base}/oidc/session/end?client_id=${app.client_id}`);
    pages.push(['logout confirmation', logout]);
    const html = await logout.clone().text();
    expect(html).toContain('Acme &#60;img src=x onerror=alert(1)&#62;');
    expect(html).not.toContain('<img');
    const form = /<input type="hidden" name="xsrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const done = await browser.follow(`${env.base}/oidc/session/end/confirm`, () => false, { form: { xsrf: form, logout: 'yes' } });
    pages.push(['signed out', done.res as Response]);
    expect([picker.res?.status, done.res?.status]).toEqual([200, 200]);
    for (const [name, res] of pages) {
      expectLockedDown(name, res);
      expect([name, await res.text()]).toEqual([name, expect.not.stringMatching(/<script/i)]);
    }
  });

  it("lets the form_post page run only its own auto-submit script, allowed by that script's hash", async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme', response_mode: 'form_post' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const res = flow.res as Response;
    expectLockedDown('form_post', res);
    const html = await res.text();
    expect(html).toMatch(/<form method="post" action="http:\/\/127\.0\.0\.1:9\/callback">/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] as string).digest('base64')}'`);
    expect(scripts).toHaveLength(1);
    expect(csp(res).get('script-src')).toEqual(expect.arrayContaining(scripts));
  });

  const inChromium = chromiumBin ? it : it.skip;
  inChromium(`in Chromium${chromiumBin ? '' : ` (skipped: ${CHROMIUM_MISSING_REASON})`}: another site cannot frame the logout page, which renders styled with no CSP violation, and form_post still submits itself`, async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme', response_mode: 'form_post' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const formPost = flow.res as Response;
    const formPostHtml = await formPost.text();
    const formPostHeaders: Record<string, string> = {};
    formPost.headers.forEach((value, name) => (formPostHeaders[name] = value));
    const browser = await launchChromium(chromiumBin as string);
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => violations.push(m.text()));
      // The page the provider sent, with the headers it sent, replayed at its own origin; the app's callback is intercepted.
      await page.route(`${env.base}/form-post-replay`, (r) => r.fulfill({ status: 200, headers: formPostHeaders, body: formPostHtml }));
      const posted = new Promise<string>((resolve) => void page.route('http://127.0.0.1:9/callback', (r) => (resolve(r.request().postData() ?? ''), r.fulfill({ body: 'ok' }))));
      await page.goto(`${env.base}/form-post-replay`);
      expect(new URLSearchParams(await posted).get('code')).toBeTruthy();

      await page.goto(`${env.base}/oidc/session/end?client_id=${app.client_id}`);
      expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toMatch(/system-ui/);
      expect(violations).toEqual([]);

      // Another origin on this machine (a real server: Chromium blocks public pages framing loopback ones anyway).
      const attacker = createServer((_req, res) => res.setHeader('content-type', 'text/html').end(`<iframe src="${env.base}/oidc/session/end?client_id=${app.client_id}"></iframe>`));
      await new Promise<void>((listening) => attacker.listen(0, '127.0.0.1', listening));
      try {
        await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
        const frame = page.frames()[1];
        await frame?.waitForLoadState();
        expect(frame?.url()).toMatch(/^chrome-error:/);
      } finally {
        attacker.close();
      }
    } finally {
      await browser.close();
    }
  });
});
