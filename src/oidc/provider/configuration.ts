import Provider, { errors, type Client, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { constantTimeEqual, sha256Hex } from '../../lib/crypto.ts';
import type { SecretBox } from '../keys/key-encryption.ts';
import type { PrivateJwk } from '../keys/signing-keys.ts';
import { sqliteAdapterClass, type AdapterDeps } from '../adapter/sqlite-adapter.ts';
import { APP_AUTHZ_SCOPES, OIDC_CLOCK_TOLERANCE_SECONDS, OIDC_SCOPES, OIDC_TTL, authzResource, oidcIssuer } from '../constants.ts';
import { errorPage, page, escapeHtml } from '../pages.ts';
import { findAccount, type AccountDeps } from './accounts.ts';
import { interactionPolicyFor, loadExistingGrant, type PolicyDeps } from './policy.ts';
import { resourceIndicators } from './resources.ts';
import { CLIENT_IP_HEADER } from './origin.ts';
import { expiredIdpLoginCookie } from '../../sso/idp-login-cookie.ts';

export interface ProviderDeps extends AccountDeps, PolicyDeps, AdapterDeps {
  baseUrl: string;
  box: SecretBox;
  /**
   * Test seam: let back-channel logout reach apps on loopback addresses. oidc-provider refuses
   * special-use addresses (SSRF protection) and production keeps that.
   */
  allowLoopbackFetch?: boolean;
  /** Hosts back-channel logout may reach on a private network (`PORTCULLIS_BACKCHANNEL_PRIVATE_HOSTS`). */
  privateHosts?: string[];
}

const LOOPBACK_URL = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

function mayReachPrivate(url: string, deps: Pick<ProviderDeps, 'allowLoopbackFetch' | 'privateHosts'>): boolean {
  if (deps.allowLoopbackFetch && LOOPBACK_URL.test(url)) return true;
  const host = URL.canParse(url) ? new URL(url).hostname.toLowerCase() : '';
  return host !== '' && (deps.privateHosts ?? []).includes(host);
}

/**
 * Portcullis' OpenID Provider. Code + PKCE only (no implicit), refresh tokens rotated on every
 * use (a reused one revokes its whole grant), client credentials for the authorization API,
 * introspection, revocation, RP-initiated and back-channel logout. No dev interactions: the
 * interaction routes send every login to the tenant's IdP.
 */
export function buildProvider(deps: ProviderDeps, jwks: PrivateJwk[]): Provider {
  const configuration: Configuration = {
    adapter: sqliteAdapterClass(deps),
    jwks: { keys: jwks as never },
    cookies: { keys: [deps.box.derive('oidc-cookies')] },
    findAccount: findAccount(deps),
    claims: {
      openid: ['sub', 'org_id', 'org_slug', 'connection_id', 'amr', 'acr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
      groups: ['groups'],
    },
    scopes: [...OIDC_SCOPES, ...APP_AUTHZ_SCOPES],
    conformIdTokenClaims: false,
    extraParams: ['organization', 'connection'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    // OIDC Core §3.1.2.1: redirect_uri is required, even for an app with a single one.
    allowOmittingSingleRegisteredRedirectUri: false,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      authorizationSigningAlgValues: ['ES256', 'RS256'],
    },
    clientDefaults: { id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code'], response_types: ['code'] },
    clockTolerance: OIDC_CLOCK_TOLERANCE_SECONDS,
    ...(deps.allowLoopbackFetch || deps.privateHosts?.length
      ? {
          // oidc-provider's dispatcher refuses private addresses; it is dropped for the hosts the operator named.
          fetch: (url: string | URL | Request, options?: RequestInit & { dispatcher?: unknown }) => {
            if (options && mayReachPrivate(String(url), deps)) delete options.dispatcher;
            return globalThis.fetch(url, options);
          },
        }
      : {}),
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed(deps) },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutSource(deps.baseUrl.startsWith('https:')), postLogoutSuccessSource },
      resourceIndicators: resourceIndicators(authzResource(deps.baseUrl), deps.apps, deps.tenants) as never,
    },
    interactions: { url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`, policy: interactionPolicyFor(deps) },
    loadExistingGrant: loadExistingGrant(deps),
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // The tenant a token acts in, for resource servers that introspect it: the app's for client
    // credentials, the signed-in session's for a person's access token (multi-tenant apps too).
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        const app = deps.apps.findLive(token.clientId as string);
        return app ? { org_id: app.tenant_id } : undefined;
      }
      const grantId = (token as { grantId?: string }).grantId;
      const session = token.kind === 'AccessToken' && grantId ? deps.sessions.forGrant(grantId) : undefined;
      return session ? { org_id: session.tenant_id } : undefined;
    },
    ttl: {
      AccessToken: OIDC_TTL.accessToken,
      AuthorizationCode: OIDC_TTL.authorizationCode,
      ClientCredentials: OIDC_TTL.clientCredentials,
      IdToken: OIDC_TTL.idToken,
      Interaction: OIDC_TTL.interaction,
      RefreshToken: OIDC_TTL.refreshToken,
      Grant: OIDC_TTL.grant,
      Session: OIDC_TTL.session,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(`${out.error}: ${out.error_description ?? ''}`, String(ctx.get('x-request-id') || out.error));
    },
  };
  const provider = new Provider(oidcIssuer(deps.baseUrl), configuration);
  // Origin and client address come from the headers pinProviderOrigin sets (BASE_URL, and the
  // address the request context resolved through the trusted proxy hops), never from the client.
  provider.proxy = true;
  provider.proxyIpHeader = CLIENT_IP_HEADER;
  provider.maxIpsCount = 1;
  // Client secrets are stored as SHA-256 (high-entropy, shown once); compare hashes in constant time.
  provider.Client.prototype.compareClientSecret = async function compareHashedSecret(this: { clientSecret?: string }, actual: string) {
    return typeof this.clientSecret === 'string' && constantTimeEqual(sha256Hex(actual), this.clientSecret);
  };
  provider.use(jsonNotFound);
  return provider;
}

/** An unknown path under /oidc gets the API's JSON 404 (`route_not_found`) rather than Koa's plain text. */
async function jsonNotFound(ctx: { status: number; body: unknown; method: string; req: { originalUrl?: string; url?: string }; get(h: string): string }, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.status !== 404 || ctx.body != null) return;
  ctx.status = 404;
  ctx.body = { code: 'route_not_found', message: `No route for ${ctx.method} ${(ctx.req.originalUrl ?? ctx.req.url ?? '').split('?')[0]}.`, request_id: ctx.get('x-request-id') || null };
}

/**
 * An app may introspect only the tokens issued to it. oidc-provider's default answers any
 * confidential client about any token, which told an app of tenant B who an Acme token belongs
 * to (sub, client_id, scope); a token of another app now introspects as `{active: false}`.
 * A person's token is active only while its session stands and its tenant is active, as for
 * refresh and userinfo (`findAccount`); the provider itself only checks the grant.
 */
function introspectionAllowed(deps: Pick<ProviderDeps, 'sessions' | 'tenants'>) {
  return async (_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string; grantId?: string; expiresWithSession?: boolean }): Promise<boolean> => {
    if (token.clientId !== client.clientId) return false;
    if (!token.grantId) return true;
    const session = deps.sessions.forToken({ grantId: token.grantId, expiresWithSession: token.expiresWithSession });
    return session !== undefined && deps.tenants.findById(session.tenant_id)?.status === 'active';
  };
}

/**
 * An app may revoke only its own tokens; another app's token is refused with `invalid_request`
 * (RFC 7009 §2.1), an unknown one answered 200 (§2.2). oidc-provider's default rule, made ours.
 */
async function revocationAllowed(_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string }): Promise<boolean> {
  if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  return true;
}

/**
 * The sign-out page. It also expires a tile click's `ptc_idp_login` cookie that no sign-in read
 * (the app's request was answered from the existing sign-in): left in place, the next sign-in in
 * this browser, after the sign-out, would be signed in as the person who clicked the tile.
 */
const logoutSource = (secureCookies: boolean) => async (ctx: KoaContextWithOIDC, form: string): Promise<void> => {
  ctx.append('Set-Cookie', expiredIdpLoginCookie(secureCookies));
  ctx.body = page(
    'Sign out',
    `${form}<p>Sign out of ${escapeHtml(ctx.oidc.client?.clientName ?? 'this application')} and your organization's single sign-on session?</p>
<button form="op.logoutForm" type="submit" name="logout" value="yes">Sign out</button>
<button form="op.logoutForm" type="submit">Stay signed in</button>`,
  );
};

async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.body = page('Signed out', '<p>You are signed out.</p>');
}
