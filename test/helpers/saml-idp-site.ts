import type { Server } from 'node:http';
import { closeServer, esc, html, listen, readForm } from './web-site.ts';
import { TestSamlIdp, type ResponseOptions } from './saml-idp.ts';

/**
 * The test SAML IdP (xml-crypto signatures, see saml-idp.ts) as an HTTPS site on 127.0.0.1, the way
 * Okta is met in a browser: the AuthnRequest arrives by HTTP-Redirect at `/sso`, a sign-in form
 * asks who you are, and the signed response goes back by HTTP-POST: a form the page submits
 * itself, so the ACS receives a cross-site POST from the browser. Signing in leaves an IdP
 * session (a cookie) that answers later requests at once unless they carry ForceAuthn, as real
 * IdPs do. `/tile?user=` is a dashboard tile: an IdP-initiated (unsolicited) response for the
 * ACS named by `tile`.
 */
export class SamlIdpSite {
  /** Groups the IdP asserts for each user name (none when absent). */
  readonly groups = new Map<string, string[]>();
  /** What the IdP changes in its next answers (attack and failure cases). */
  alter: (user: string) => Partial<ResponseOptions> = () => ({});
  /** Where tile logins post to (the connection's ACS and SP entity id). */
  tile?: { acs: string; audience: string };
  /** Each AuthnRequest's ForceAuthn, in order. */
  readonly forceAuthnSeen: boolean[] = [];
  private constructor(
    readonly server: Server,
    readonly url: string,
    readonly idp: TestSamlIdp,
  ) {}

  static async start(entityId = 'http://www.okta.com/exk1browser'): Promise<SamlIdpSite> {
    let site: SamlIdpSite | undefined;
    const { server, url } = await listen(async (req, res, u) => {
      const s = site as SamlIdpSite;
      const send = (body: string) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
      if (req.method === 'GET' && u.pathname === '/sso') {
        // An IdP session (its cookie) answers at once, unless the SP asks for a fresh authentication (ForceAuthn).
        const session = s.#session(req.headers.cookie);
        const ask = TestSamlIdp.readAuthnRequest(u.toString());
        s.forceAuthnSeen.push(ask.forceAuthn);
        if (session && !ask.forceAuthn) {
          return send(s.#autoPost(ask.acs, s.#answer(session.user, { recipient: ask.acs, audience: ask.issuer, inResponseTo: ask.id, authnInstant: session.at }), ask.relayState));
        }
        const hidden = ['SAMLRequest', 'RelayState'].map((k) => `<input type="hidden" name="${k}" value="${esc(u.searchParams.get(k) ?? '')}">`).join('');
        return send(html('Okta sign-in', `<form method="post" action="/sso/login">${hidden}<label>Username <input name="username" id="username"></label><button id="sign-in" type="submit">Sign in</button></form>`));
      }
      if (req.method === 'POST' && u.pathname === '/sso/login') {
        const form = await readForm(req);
        const redirect = new URL(`${s.url}/sso`);
        for (const k of ['SAMLRequest', 'RelayState']) redirect.searchParams.set(k, form.get(k) ?? '');
        const ask = TestSamlIdp.readAuthnRequest(redirect.toString());
        const user = form.get('username') ?? '';
        const at = new Date();
        res.setHeader('set-cookie', `idp_session=${encodeURIComponent(`${user}|${at.toISOString()}`)}; Path=/; HttpOnly; Secure; SameSite=Lax`);
        return send(s.#autoPost(ask.acs, s.#answer(user, { recipient: ask.acs, audience: ask.issuer, inResponseTo: ask.id, authnInstant: at }), ask.relayState));
      }
      if (req.method === 'GET' && u.pathname === '/tile' && s.tile) {
        const user = u.searchParams.get('user') ?? '';
        return send(s.#autoPost(s.tile.acs, s.#answer(user, { recipient: s.tile.acs, audience: s.tile.audience, inResponseTo: null }), null));
      }
      res.writeHead(404).end();
    }, { tls: true });
    site = new SamlIdpSite(server, url, new TestSamlIdp(entityId, `${url}/sso`));
    return site;
  }

  /** The IdP's own sign-in session, from its cookie: who, and when they authenticated. */
  #session(cookie: string | undefined): { user: string; at: Date } | undefined {
    const raw = /(?:^|;\s*)idp_session=([^;]+)/.exec(cookie ?? '')?.[1];
    const [user, at] = raw ? decodeURIComponent(raw).split('|') : [];
    return user && at ? { user, at: new Date(at) } : undefined;
  }

  #answer(user: string, to: { recipient: string; audience: string; inResponseTo: string | null; authnInstant?: Date }): string {
    const groups = this.groups.get(user);
    return this.idp.response({ ...to, nameId: user, attributes: { email: user, ...(groups ? { groups } : {}) }, ...this.alter(user) });
  }

  /** The HTTP-POST binding as IdPs send it: a form submitted by the page's own script. */
  #autoPost(acs: string, samlResponse: string, relayState: string | null): string {
    const relay = relayState === null ? '' : `<input type="hidden" name="RelayState" value="${esc(relayState)}">`;
    return html(
      'Signing in…',
      `<form method="post" action="${esc(acs)}"><input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}">${relay}<noscript><button type="submit">Continue</button></noscript></form><script>document.forms[0].submit()</script>`,
    );
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
