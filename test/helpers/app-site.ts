import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, esc, html, listen } from './web-site.ts';
import { loopbackTlsFetch } from './tls-proxy.ts';
import * as client from 'openid-client';

/**
 * The B2B app, as a browser meets it: a web server on its own site (127.0.0.1) that signs people
 * in with openid-client (code + PKCE, state, nonce) against Portcullis and shows the ID token's
 * claims; it signs out with RP-initiated logout and starts third-party-initiated logins
 * (`initiate_login_uri`). Sessions are a cookie naming an entry in memory.
 */
export class AppSite {
  readonly #pending = new Map<string, { verifier: string; nonce: string }>();
  readonly #sessions = new Map<string, { idToken: string; claims: Record<string, unknown> }>();
  #config?: client.Configuration;
  #issuer = '';
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<AppSite> {
    let site: AppSite | undefined;
    const { server, url } = await listen((req, res, u) => (site as AppSite).#handle(req, res, u));
    site = new AppSite(server, url);
    return site;
  }

  get redirectUri(): string {
    return `${this.url}/callback`;
  }
  get postLogoutRedirectUri(): string {
    return `${this.url}/logged-out`;
  }
  get initiateLoginUri(): string {
    return `${this.url}/initiate`;
  }

  /** Discovery against Portcullis' issuer with the app's registered credentials (an https one through the test TLS proxy). */
  async connect(issuer: string, app: { client_id: string; client_secret: string }): Promise<void> {
    this.#issuer = issuer;
    const tls = issuer.startsWith('https:') ? { [client.customFetch]: loopbackTlsFetch } : { execute: [client.allowInsecureRequests] };
    this.#config = await client.discovery(new URL(issuer), app.client_id, app.client_secret, undefined, tls);
    if (issuer.startsWith('https:')) this.#config[client.customFetch] = loopbackTlsFetch;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, u: URL): Promise<void> {
    const config = this.#config as client.Configuration;
    const page = (status: number, title: string, body: string, headers: Record<string, string> = {}) =>
      void res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(html(title, body));
    if (u.pathname === '/login' || u.pathname === '/initiate') {
      // Third-party-initiated login names the issuer it comes from; a stranger's is ignored.
      if (u.pathname === '/initiate' && u.searchParams.get('iss') !== this.#issuer) return page(400, 'Unknown issuer', '');
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      this.#pending.set(state, { verifier, nonce });
      const extra = Object.fromEntries(['organization', 'login_hint', 'prompt'].flatMap((k) => (u.searchParams.get(k) ? [[k, u.searchParams.get(k) as string]] : [])));
      const to = client.buildAuthorizationUrl(config, {
        redirect_uri: this.redirectUri,
        scope: 'openid email profile groups',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...extra,
      });
      return void res.writeHead(302, { location: to.toString() }).end();
    }
    if (u.pathname === '/callback') {
      if (u.searchParams.get('error')) return page(401, 'Sign-in failed', `<p id="error">${esc(u.searchParams.get('error'))}</p>`);
      const pending = this.#pending.get(u.searchParams.get('state') ?? '');
      if (!pending) return page(400, 'Unknown state', '');
      this.#pending.delete(u.searchParams.get('state') as string);
      const tokens = await client.authorizationCodeGrant(config, u, { pkceCodeVerifier: pending.verifier, expectedNonce: pending.nonce, expectedState: u.searchParams.get('state') as string });
      const claims = tokens.claims() as Record<string, unknown>;
      const sid = client.randomState();
      this.#sessions.set(sid, { idToken: tokens.id_token as string, claims });
      return page(200, 'Signed in', `<pre id="claims">${esc(JSON.stringify(claims))}</pre>`, { 'set-cookie': `app_sid=${sid}; Path=/; HttpOnly; SameSite=Lax` });
    }
    if (u.pathname === '/logout') {
      const sid = /(?:^|;\s*)app_sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const session = sid ? this.#sessions.get(sid) : undefined;
      if (!session) return page(400, 'Not signed in', '');
      this.#sessions.delete(sid as string);
      const to = client.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: this.postLogoutRedirectUri });
      return void res.writeHead(302, { location: to.toString(), 'set-cookie': 'app_sid=; Path=/; Max-Age=0' }).end();
    }
    if (u.pathname === '/logged-out') return page(200, 'Signed out of the app', '');
    page(404, 'Not found', '');
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
