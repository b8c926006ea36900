import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/**
 * Google's issuer (`https://accounts.google.com`) signs in any Google account — every Gmail user
 * and every Workspace — so a connection to it names the Workspace domains whose accounts may
 * sign in (`allowed_google_domains`), and each ID token's `hd` claim must be one of them. Without
 * that, just-in-time provisioning would let any Google account into the tenant.
 */
describe('Google connections admit only the Workspace domains they list', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const path = () => `/admin/v1/tenants/${tenant.id}/connections`;
  const google = (oidc: Record<string, unknown>) => ({ name: 'Google Workspace', protocol: 'oidc', oidc: { issuer: 'https://accounts.google.com', client_id: 'x.apps.googleusercontent.com', client_secret: 's', ...oidc } });

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(() => env?.close());

  it("refuses Google's issuer without allowed_google_domains, naming the field, and stores the listed domains in lower case", async () => {
    const r = await env.api('POST', path(), google({}));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'invalid_connection', message: expect.stringMatching(/any Google account.*oidc\.allowed_google_domains/) });
    expect(env.audit(tenant.id, 'sso.connection.created')).toHaveLength(0);

    const bad = await env.api('POST', path(), google({ allowed_google_domains: ['not a domain'] }));
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'oidc.allowed_google_domains.0', message: expect.stringMatching(/Google Workspace domain/) })]);

    const created = await env.ok('POST', path(), google({ allowed_google_domains: ['Acme.com', 'acme-labs.com'] }));
    expect(created.oidc.allowed_google_domains).toEqual(['acme.com', 'acme-labs.com']);
    const emptied = await env.api('PATCH', `${path()}/${created.id}`, { oidc: { allowed_google_domains: [] } });
    expect(emptied.status).toBe(400);
    expect((await env.ok('GET', `${path()}/${created.id}`)).oidc.allowed_google_domains).toEqual(['acme.com', 'acme-labs.com']);
  });

  it('will not activate a Google connection saved before the rule until it lists its domains', async () => {
    const conn = await env.ok('POST', path(), google({ allowed_google_domains: ['acme.com'] }));
    env.services.storage.sql.prepare('UPDATE sso_oidc_settings SET allowed_google_domains = NULL WHERE connection_id = ?').run(conn.id);
    const r = await env.api('PATCH', `${path()}/${conn.id}`, { status: 'active' });
    expect(r).toMatchObject({ status: 400, body: { code: 'invalid_connection', message: expect.stringMatching(/allowed_google_domains/) } });
    expect((await env.ok('PATCH', `${path()}/${conn.id}`, { status: 'active', oidc: { allowed_google_domains: ['acme.com'] } })).status).toBe('active');
  });

  describe('at sign-in (an upstream IdP that sends hd, as Google does)', () => {
    let idp: OAuth2Server;
    let rp: client.Configuration;
    let claims: Record<string, unknown> = {};
    let globex = '';

    beforeAll(async () => {
      idp = await startUpstreamIdp(() => claims);
      const t = await env.tenant('Globex', 'globex');
      globex = t.id;
      await env.ok('PUT', `/admin/v1/tenants/${t.id}/sso-settings`, { jit_provisioning: true });
      await env.ok('POST', `/admin/v1/tenants/${t.id}/connections`, {
          name: 'Google-like',
          protocol: 'oidc',
          status: 'active',
        oidc: { issuer: idp.issuer.url, client_id: 'portcullis', client_secret: 'upstream-secret', scopes: 'openid email profile', allowed_google_domains: ['globex.com'] },
      });
      rp = await env.rp(await env.app(t.id));
    });
    afterAll(() => idp?.stop());

    async function signIn(): Promise<{ landed: string; idpUrl: string }> {
      const { url } = await authorizationRequest(rp, { organization: 'globex' });
      let idpUrl = '';
      const done = await new Browser().follow(url.toString(), (l) => {
        if (l.startsWith(idp.issuer.url as string) && !idpUrl) idpUrl = l;
        return l.startsWith('http://127.0.0.1:9/');
      });
      return { landed: done.url, idpUrl };
    }

    it('signs in an account of a listed domain, asking Google for that domain (hd)', async () => {
      claims = { sub: 'g-1', email: 'gil@globex.com', email_verified: true, hd: 'globex.com' };
      const { landed, idpUrl } = await signIn();
      expect(landed).toMatch(/\/callback\?code=/);
      expect(new URL(idpUrl).searchParams.get('hd')).toBe('globex.com');
    });

    it.each([
      ['another Workspace', { sub: 'g-2', email: 'eve@evil.com', email_verified: true, hd: 'evil.com' }, /evil\.com is not allowed/],
      ['a consumer account (no hd)', { sub: 'g-3', email: 'eve@gmail.com', email_verified: true }, /no Google Workspace domain/],
    ])('refuses %s, audited oidc_hosted_domain_not_allowed, creating no user', async (_what, sent, detail) => {
      claims = sent;
      const users = (env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM directory_users').get() as { n: number }).n;
      expect((await signIn()).landed).toMatch(/\/callback\?error=access_denied/);
      expect(env.audit(globex, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_hosted_domain_not_allowed', detail: expect.stringMatching(detail) });
      expect((env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM directory_users').get() as { n: number }).n).toBe(users);
    });
  });
});
