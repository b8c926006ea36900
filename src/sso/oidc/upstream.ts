import * as client from 'openid-client';
import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import { oidcRedirectUri, type Connection, type OidcSettings } from '../connections/connection.ts';
import { isEntraSharedIssuer, isGoogleIssuer } from '../connections/inputs.ts';
import { UpstreamRefusedError } from './guarded-fetch.ts';
import { DiscoveryCache } from './discovery-cache.ts';

export const UPSTREAM_SECRET_CONTEXT = 'oidc-upstream-client-secret';
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** Connections whose discovery is kept (a few KB each); beyond it the least recently used is fetched again. */
const MAX_CACHED_DISCOVERIES = 1000;
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

export class UpstreamOidcError extends Error {
  constructor(
    readonly reason: 'oidc_discovery_failed' | 'oidc_idp_unreachable' | 'oidc_idp_error' | 'oidc_token_invalid' | 'oidc_tenant_not_allowed' | 'oidc_hosted_domain_not_allowed',
    detail: string,
  ) {
    super(detail);
    this.name = 'UpstreamOidcError';
  }
}

type OidcConnection = Connection & { oidc: OidcSettings };

/**
 * Portcullis as a relying party of a tenant's OIDC IdP (Okta, Entra ID, Google, …) through
 * `openid-client`: discovery (cached), authorization code with PKCE (S256), state and nonce.
 * Entra ID multi-tenant issuers (`…/{tenantid}/v2.0`) are checked against the token's `tid`
 * by openid-client; the connection can further restrict which Entra tenants are accepted.
 */
export class UpstreamOidc {
  /** Discovered configurations, per connection version (exposed for tests of its bound). */
  readonly discoveries: DiscoveryCache<client.Configuration>;

  constructor(
    private readonly baseUrl: string,
    private readonly box: SecretBox,
    private readonly customFetch?: client.CustomFetch,
    options: { maxCachedDiscoveries?: number } = {},
  ) {
    this.discoveries = new DiscoveryCache(options.maxCachedDiscoveries ?? MAX_CACHED_DISCOVERIES, DISCOVERY_TTL_MS);
  }

  async #configuration(c: OidcConnection): Promise<client.Configuration> {
    const cached = this.discoveries.get(c.id, c.version, Date.now());
    if (cached) return cached;
    const secret = c.oidc.client_secret_sealed ? this.box.open(c.oidc.client_secret_sealed, UPSTREAM_SECRET_CONTEXT) : undefined;
    const insecure = LOOPBACK.test(c.oidc.issuer);
    let config: client.Configuration;
    try {
      config = await client.discovery(
        new URL(c.oidc.issuer),
        c.oidc.client_id,
        { redirect_uris: [oidcRedirectUri(this.baseUrl, c.id)] },
        secret ? secretAuth(secret) : client.None(),
        {
          ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
          ...(this.customFetch ? { [client.customFetch]: this.customFetch } : {}),
          timeout: 10,
        },
      );
      // A document without a usable authorization endpoint (missing, not a URL, http for an https
      // issuer) is refused here, not cached, rather than failing every sign-in as an internal error.
      client.buildAuthorizationUrl(config, {});
    } catch (err) {
      throw new UpstreamOidcError('oidc_discovery_failed', networkCause(err)?.message ?? (err as Error).message);
    }
    if (this.customFetch) config[client.customFetch] = this.customFetch;
    this.discoveries.set(c.id, c.version, config, Date.now());
    return config;
  }

  /**
   * The IdP's authorization URL for one login. Step-up (`reauthenticate`): `prompt=login`, so
   * the IdP authenticates the person again instead of answering from its session, and the
   * app's `max_age` when it gave one (OIDC Core 3.1.2.1).
   */
  async authorizationUrl(
    c: OidcConnection,
    p: { state: string; nonce: string; codeVerifier: string; loginHint?: string; reauthenticate?: boolean; maxAge?: number },
  ): Promise<string> {
    const config = await this.#configuration(c);
    return client
      .buildAuthorizationUrl(config, {
        redirect_uri: oidcRedirectUri(this.baseUrl, c.id),
        scope: c.oidc.scopes,
        response_type: 'code',
        state: p.state,
        nonce: p.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(p.codeVerifier),
        code_challenge_method: 'S256',
        ...(p.loginHint ? { login_hint: p.loginHint } : {}),
        // Google preselects accounts of that Workspace (a hint only: the hd claim is what is checked).
        ...(c.oidc.allowed_google_domains.length === 1 ? { hd: c.oidc.allowed_google_domains[0] as string } : {}),
        ...(p.reauthenticate ? { prompt: 'login' } : {}),
        ...(p.maxAge !== undefined ? { max_age: String(p.maxAge) } : {}),
      })
      .toString();
  }

  /** Exchanges the code; returns the ID token claims merged over userinfo. */
  async complete(c: OidcConnection, callbackUrl: URL, p: { state: string; nonce: string; codeVerifier: string }): Promise<Record<string, unknown>> {
    const config = await this.#configuration(c);
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: p.codeVerifier,
        expectedState: p.state,
        expectedNonce: p.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      accessToken = tokens.access_token;
    } catch (err) {
      const refused = idpError(err);
      if (refused) throw new UpstreamOidcError('oidc_idp_error', refused);
      const network = networkCause(err);
      if (network) throw new UpstreamOidcError('oidc_idp_unreachable', network.message);
      const claim = claimOf(err) ? ` (claim ${claimOf(err)})` : '';
      throw new UpstreamOidcError('oidc_token_invalid', `${(err as Error).message}${claim}`);
    }
    this.#checkEntraTenant(c, claims, config);
    checkGoogleDomain(c, claims);
    const userinfo = await client.fetchUserInfo(config, accessToken, claims.sub as string).catch(() => ({}));
    return { ...userinfo, ...claims };
  }

  /**
   * A multi-tenant connection, or any on an Entra authority shared by every directory, admits
   * only the directories it lists: none listed (a connection saved before that was required)
   * admits none, rather than every Entra customer. Shared is also whatever issuer's discovery
   * document names the `{tenantid}` template, however the issuer was spelled: openid-client then
   * accepts the tokens of any directory.
   */
  #checkEntraTenant(c: OidcConnection, claims: Record<string, unknown>, config: client.Configuration): void {
    const template = config.serverMetadata().issuer.includes('{tenantid}');
    if (!c.oidc.entra_multi_tenant && !template && !isEntraSharedIssuer(c.oidc.issuer)) return;
    const allowed = c.oidc.allowed_entra_tenants;
    if (allowed.length === 0) throw new UpstreamOidcError('oidc_tenant_not_allowed', 'the connection lists no allowed Entra directories (oidc.allowed_entra_tenants)');
    // GUIDs compare without regard to case: tokens carry `tid` in lower case, some tools print it in upper case.
    const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : undefined;
    if (!tid || !allowed.some((t) => t.toLowerCase() === tid)) {
      throw new UpstreamOidcError('oidc_tenant_not_allowed', `Entra tenant ${String(claims.tid)} is not allowed`);
    }
  }
}

/**
 * A connection listing Google Workspace domains (required with Google's issuer) admits only ID
 * tokens whose `hd` claim is one of them: a consumer account has none, another Workspace another.
 * Google's own issuer with none listed (a connection saved before that was required) admits nobody.
 */
export function checkGoogleDomain(c: OidcConnection, claims: Record<string, unknown>): void {
  const allowed = c.oidc.allowed_google_domains;
  if (allowed.length === 0) {
    if (isGoogleIssuer(c.oidc.issuer)) throw new UpstreamOidcError('oidc_hosted_domain_not_allowed', 'the connection lists no allowed Google Workspace domains (oidc.allowed_google_domains)');
    return;
  }
  const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : undefined;
  if (!hd || !allowed.includes(hd)) {
    throw new UpstreamOidcError('oidc_hosted_domain_not_allowed', hd ? `Google Workspace domain ${hd} is not allowed` : 'the account belongs to no Google Workspace domain (no hd claim)');
  }
}

/**
 * `client_secret_basic`, the default of OpenID Connect Discovery, unless the IdP advertises
 * methods that leave it out and include `client_secret_post` (read when the token request is
 * made, from the discovered metadata).
 */
function secretAuth(secret: string): client.ClientAuth {
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, c, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const postOnly = Array.isArray(methods) && !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
    return (postOnly ? post : basic)(as, c, body, headers);
  };
}

/**
 * The IdP's own OAuth error (`invalid_client: …`, `invalid_grant: …`), from a JSON error body or,
 * for a 401 to Basic credentials, from its WWW-Authenticate challenge (RFC 6749 §5.2): what the
 * admin needs to hear when the client secret has expired or been rotated at the IdP.
 */
function idpError(err: unknown): string | undefined {
  const e = err as { error?: unknown; error_description?: unknown; cause?: unknown };
  const said = (error: unknown, description: unknown) => (typeof error === 'string' ? `${error}${typeof description === 'string' && description ? `: ${description}` : ''}` : undefined);
  if (typeof e.error === 'string') return said(e.error, e.error_description);
  if (!Array.isArray(e.cause)) return undefined;
  for (const challenge of e.cause as { parameters?: Record<string, unknown> }[]) {
    const found = said(challenge?.parameters?.error, challenge?.parameters?.error_description);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why the IdP could not be reached, when that is what happened: fetch's own errors, a timeout,
 * or a request the SSRF guard refused (openid-client wraps them in "something went wrong").
 */
function networkCause(err: unknown): Error | undefined {
  for (let e = err as Error | undefined, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause as Error | undefined, i++) {
    if (e instanceof UpstreamRefusedError || (e instanceof TypeError && /fetch failed/i.test(e.message)) || e.name === 'TimeoutError' || e.name === 'AbortError') return e;
  }
  return undefined;
}

/** The JWT claim an openid-client validation error is about (it nests the detail in `cause`). */
function claimOf(err: unknown): string | undefined {
  for (let e = err as { cause?: unknown; claim?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (typeof e.claim === 'string') return e.claim;
  }
  return undefined;
}
