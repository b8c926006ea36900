import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import * as client from 'openid-client';
import { loadConfig } from '../../src/config/load.ts';
import { buildServices, type Services } from '../../src/services.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { systemActor, type AuditEvent } from '../../src/audit/events.ts';
import type { SsoOptions } from '../../src/sso/compose.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { RequestCostMeter } from '../../src/http/request-cost.ts';
import { emptyUserFields, type UserRecord } from '../../src/directory/user.ts';
import { tempDir, LogCapture } from './harness.ts';
import { Browser } from './browser.ts';
import { TestSamlIdp, type ResponseOptions } from './saml-idp.ts';
import { startTlsProxy } from './tls-proxy.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

/**
 * A real Portcullis on a loopback port (the OpenID Provider needs Node's req/res), over a temp
 * data dir, with a DNS TXT table the domain verifier reads, and helpers to drive sign-ins the
 * way an app (openid-client) and a browser do.
 */
/** The app's authorization request, as openid-client makes it: code with PKCE (S256) and a state. */
export async function authorizationRequest(rp: client.Configuration, params: Record<string, string>): Promise<{ url: URL; verifier: string; state: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: 'http://127.0.0.1:9/callback',
    scope: 'openid email profile groups',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  return { url, verifier, state };
}

export class SsoEnv {
  readonly txt = new Map<string, string[][]>();
  readonly logs = new LogCapture();
  services!: Services;
  server!: RunningServer;
  base = '';
  /** The server itself (not through the TLS proxy, when there is one). */
  direct = '';
  #proxy?: Awaited<ReturnType<typeof startTlsProxy>>;
  platformKey = '';
  dir = '';

  /**
   * `host`: the host name in BASE_URL (the server still binds to 127.0.0.1); `localhost` for
   * browser tests. `tls`: behind a TLS-terminating proxy, as in production (BASE_URL https on
   * the proxy's port, one trusted proxy); `api` calls then go to the server directly.
   * `clock` and `requestCostMeter` replace the service's (see BuildOptions).
   */
  static async start(
    options: { sso?: SsoOptions; config?: Record<string, unknown>; host?: string; tls?: boolean; clock?: Clock; requestCostMeter?: RequestCostMeter } = {},
  ): Promise<SsoEnv> {
    const env = new SsoEnv();
    env.dir = tempDir('portcullis-sso-');
    const port = await freePort();
    env.direct = `http://127.0.0.1:${port}`;
    if (options.tls) env.#proxy = await startTlsProxy(port);
    env.base = env.#proxy ? `https://${options.host ?? '127.0.0.1'}:${env.#proxy.port}` : `http://${options.host ?? '127.0.0.1'}:${port}`;
    const proxied = env.#proxy ? { trustProxy: '1' } : {};
    const config = loadConfig({}, { dataDir: env.dir, port, baseUrl: env.base, logLevel: 'info', ...proxied, ...options.config });
    env.services = buildServices(config, {
      logDestination: env.logs,
      clock: options.clock,
      requestCostMeter: options.requestCostMeter,
      sso: { txtResolver: async (name) => env.txt.get(name) ?? [], allowLoopbackBackchannel: true, allowLoopbackIdp: true, ...options.sso },
    });
    env.platformKey = (env.services.apiKeys.ensureFirstPlatformKey(systemActor()) as { key: string }).key;
    env.server = await startServer(env.services);
    return env;
  }

  async api<T = any>(method: string, path: string, body?: unknown, key: string | null = this.platformKey): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${this.direct}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text) as T, headers: res.headers };
  }

  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.api<T>(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async tenant(name: string, slug: string): Promise<{ id: string; slug: string; authz_store_id: string }> {
    return this.ok('POST', '/admin/v1/tenants', { name, slug });
  }

  /** Claims and verifies a domain through the admin API, publishing the TXT record first. */
  async verifiedDomain(tenantId: string, domain: string): Promise<void> {
    const d = await this.ok('POST', `/admin/v1/tenants/${tenantId}/domains`, { domain });
    this.txt.set(d.verification.name, [[d.verification.value]]);
    await this.ok('POST', `/admin/v1/tenants/${tenantId}/domains/${d.id}/verify`);
  }

  async samlConnection(tenantId: string, idp: TestSamlIdp, extra: Record<string, unknown> = {}): Promise<any> {
    const { saml, ...rest } = extra as { saml?: Record<string, unknown> };
    return this.ok('POST', `/admin/v1/tenants/${tenantId}/connections`, {
      name: 'Okta',
      protocol: 'saml',
      status: 'active',
      attribute_preset: 'okta',
      saml: saml?.metadata_url ? saml : { metadata_xml: idp.metadataXml(), ...saml },
      ...rest,
    });
  }

  async app(tenantId: string, extra: Record<string, unknown> = {}): Promise<{ client_id: string; client_secret: string; redirect: string }> {
    const redirect = 'http://127.0.0.1:9/callback';
    const body = await this.ok('POST', `/admin/v1/tenants/${tenantId}/apps`, {
      name: 'B2B app',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirect],
      post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'],
      ...extra,
    });
    return { client_id: body.client_id, client_secret: body.client_secret, redirect };
  }

  /** openid-client as the app (discovery against our issuer). */
  async rp(app: { client_id: string; client_secret: string }): Promise<client.Configuration> {
    return client.discovery(new URL(`${this.base}/oidc`), app.client_id, app.client_secret, undefined, { execute: [client.allowInsecureRequests] });
  }

  /** A directory user as SCIM would provision it (through the directory's own store). */
  provisionUser(tenantId: string, u: { userName: string; email?: string; externalId?: string; given?: string; family?: string; active?: boolean }): string {
    const s = this.services;
    return s.storage.transaction(() => {
      const created = s.directory.createUserJustInTime(
        tenantId,
        { user_name: u.userName, email: u.email ?? null, external_id: u.externalId ?? null, given_name: u.given ?? null, family_name: u.family ?? null, display_name: null },
        systemActor(),
      );
      if (u.active === false) this.#setActive(tenantId, created.id, false);
      return created.id;
    });
  }

  /** What a SCIM `active=false` does: the user is deactivated and every registered revoker runs, flushed before returning. */
  async deactivate(tenantId: string, userId: string): Promise<Record<string, number>> {
    const staged = this.services.storage.transaction(() => {
      this.#setActive(tenantId, userId, false);
      return this.services.deprovisioner.revokeAll({ tenantId, userId, reason: 'scim_deactivated' });
    });
    return staged.flush();
  }

  #setActive(tenantId: string, userId: string, active: boolean): void {
    const users = this.services.storage.forTenant(tenantId).directoryUsers;
    const u = users.find(userId) as UserRecord;
    const { id: _i, tenant_id: _t, directory_id: _d, version, created_at: _c, updated_at: _u, manager_display_name: _m, ...fields } = u as UserRecord & Record<string, unknown>;
    users.update(userId, version, { ...emptyUserFields(u.user_name), ...(fields as object), active } as never, new Date().toISOString());
  }

  /** How many sessions exist, in every tenant (a refused sign-in must not add one). */
  sessionCount(): number {
    return (this.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }

  audit(tenantId: string, action?: string): AuditEvent[] {
    return [...this.services.audit.export(tenantId, {})].filter((e) => !action || e.action === action);
  }

  /**
   * A full SP-initiated SAML sign-in: the app's authorization request, our interaction, the
   * AuthnRequest to the test IdP, its signed response POSTed to the ACS, back to the app's
   * redirect URI. `respond` may alter what the IdP sends (attacks). Returns where it ended.
   */
  async samlLogin(
    browser: Browser,
    rp: client.Configuration,
    idp: TestSamlIdp,
    params: Record<string, string>,
    respond: (req: ReturnType<typeof TestSamlIdp.readAuthnRequest>) => Partial<ResponseOptions> & { raw?: string },
  ): Promise<{ authUrl: URL; landed: string; res?: Response; verifier: string; state: string }> {
    const { url: authUrl, verifier, state } = await authorizationRequest(rp, params);
    const toIdp = await browser.follow(authUrl.toString(), (l) => l.startsWith(idp.ssoUrl) || l.startsWith('http://127.0.0.1:9/'));
    if (!toIdp.url.startsWith(idp.ssoUrl)) return { authUrl, landed: toIdp.url, res: toIdp.res, verifier, state };
    const req = TestSamlIdp.readAuthnRequest(toIdp.url);
    const { raw, ...overrides } = respond(req);
    const samlResponse = raw ?? idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'nobody@example.com', ...overrides });
    const back = await browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: samlResponse, RelayState: req.relayState } });
    return { authUrl, landed: back.url, res: back.res, verifier, state };
  }

  async close(): Promise<void> {
    await this.#proxy?.close();
    await this.server.close();
    await this.services.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
