import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { closeServer, listen } from '../../helpers/web-site.ts';

/**
 * An issuer whose discovery document is readable but names no usable authorization endpoint (an
 * OAuth server for machine clients only, a typo in a hand-written document): the IdP cannot be
 * used, which the admin's test login says (422 `idp_unreachable`) and a sign-in sends back to the
 * app as the generic failure, audited with the connection, rather than an internal error.
 */
describe('an upstream discovery document without a usable authorization endpoint', () => {
  let env: SsoEnv;
  let site: { server: Server; url: string };
  let authorizationEndpoint: unknown;
  let tenant: { id: string };
  let connectionId: string;
  let rp: client.Configuration;

  beforeAll(async () => {
    site = await listen((_req, res, u) => {
      if (u.pathname !== '/.well-known/openid-configuration') return void res.writeHead(404).end();
      const doc: Record<string, unknown> = { issuer: site.url, token_endpoint: `${site.url}/token`, jwks_uri: `${site.url}/jwks`, response_types_supported: ['code'] };
      if (authorizationEndpoint !== undefined) doc.authorization_endpoint = authorizationEndpoint;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    });
    env = await SsoEnv.start();
    tenant = await env.tenant('Initech', 'initech');
    connectionId = (
      await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
        name: 'Machine-only issuer',
        protocol: 'oidc',
        status: 'active',
        oidc: { issuer: site.url, client_id: 'c', client_secret: 's', scopes: 'openid email' },
      })
    ).id;
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await closeServer(site.server);
  });

  for (const [label, value] of [['missing', undefined], ['not a URL', 'not a url'], ['a number', 42]] as const) {
    it(`answers the admin's test login with 422 idp_unreachable when it is ${label}`, async () => {
      authorizationEndpoint = value;
      await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connectionId}`, { name: `Machine-only issuer (${label})` });
      const r = await env.api('POST', `/admin/v1/tenants/${tenant.id}/connections/${connectionId}/test-login`);
      expect([r.status, r.body.code]).toEqual([422, 'idp_unreachable']);
      expect(r.body.message).toMatch(/authorization_endpoint/);
    });
  }

  it('sends the person back to the app with the generic failure and audits why', async () => {
    authorizationEndpoint = undefined;
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connectionId}`, { name: 'Machine-only issuer (sign-in)' });
    const { url } = await authorizationRequest(rp, { organization: 'initech' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_discovery_failed', connection_id: connectionId, detail: expect.stringMatching(/authorization_endpoint/) });
  });
});
