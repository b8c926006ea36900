import type { Server } from 'node:http';
import Provider, { type ClientAuthMethod, type Configuration } from 'oidc-provider';
import { closeServer, listen } from './web-site.ts';

/**
 * An upstream OIDC IdP built from a second, independent oidc-provider instance (not
 * oauth2-mock-server), for what that mock cannot be: an IdP with a client registry, a real
 * secret check, and a choice of token endpoint authentication methods it advertises. With
 * `client_secret_basic` left out, its token endpoint refuses Basic credentials as such IdPs do
 * (oidc-provider itself takes either form for either method). Its sign-in interaction signs in
 * whoever `nextUser` names, at once (no page), and grants what was asked.
 */
export class ProviderIdp {
  /** The account the next sign-in authenticates, and its claims. */
  nextUser: { sub: string; claims: Record<string, unknown> } = { sub: 'nobody', claims: {} };
  /** How each token request that reached the provider authenticated. */
  readonly tokenAuthMethods: string[] = [];
  /** Each sign-in interaction: the authorization request's parameters and why the provider asked for it (`login_prompt`, `max_age`, …). */
  readonly interactions: { params: Record<string, unknown>; reasons: string[] }[] = [];
  #provider?: Provider;
  #methods: string[] = [];
  private constructor(
    readonly server: Server,
    readonly issuer: string,
  ) {}

  /** Listens first (the issuer URL is needed to create the connection whose callback the client registers). */
  static async start(): Promise<ProviderIdp> {
    let idp: ProviderIdp | undefined;
    const { server, url } = await listen(async (req, res, u) => {
      const p = (idp as ProviderIdp).#provider;
      if (!p) return void res.writeHead(503).end();
      const self = idp as ProviderIdp;
      if (u.pathname === '/token') {
        const basic = /^Basic /i.test(req.headers.authorization ?? '');
        if (basic && !self.#methods.includes('client_secret_basic')) {
          return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: 'client_secret_basic is not supported' }));
        }
        self.tokenAuthMethods.push(basic ? 'client_secret_basic' : 'client_secret_post');
      }
      if (u.pathname.startsWith('/interaction/')) {
        const details = await p.interactionDetails(req, res);
        self.interactions.push({ params: { ...details.params }, reasons: [...details.prompt.reasons] });
        const accountId = (idp as ProviderIdp).nextUser.sub;
        const grant = new p.Grant({ accountId, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await p.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
        return;
      }
      p.callback()(req, res);
    });
    idp = new ProviderIdp(server, url);
    return idp;
  }

  /** The provider, with its one client; `methods`: the token endpoint authentication methods it supports (and advertises). */
  configure(client: { client_id: string; client_secret: string; redirect_uris: string[]; token_endpoint_auth_method: string }, methods: string[]): void {
    const configuration: Configuration = {
      clients: [{ ...client, token_endpoint_auth_method: client.token_endpoint_auth_method as ClientAuthMethod, response_types: ['code'], grant_types: ['authorization_code'] }],
      clientAuthMethods: methods as ClientAuthMethod[],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx, sub) => ({
        accountId: sub,
        claims: async () => ({ sub, ...this.nextUser.claims }),
      }),
    };
    this.#methods = methods;
    this.#provider = new Provider(this.issuer, configuration);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
