import type { RouteKey } from './inventory.ts';

/**
 * The reviewed allowlist: routes served without a Portcullis API key or SCIM token. Each one
 * says why, and where its own protocol rules are tested. Adding a route here is a security
 * decision: it takes the route out of the route guard's credential checks.
 */
export const PUBLIC_ROUTES: Record<RouteKey, string> = {
  'GET /healthz': 'liveness probe for load balancers; answers {status:"ok"} and reads nothing (test/e2e/operations.test.ts)',
  'GET /readyz': 'readiness probe; names dependency checks only, no tenant data (test/e2e/operations.test.ts)',
  'GET /metrics': 'Prometheus scrape target; labels are routes, actions and reasons, never tenants or credentials (test/e2e/metrics-valid.test.ts)',
  'GET /openapi.json': 'the public API description; documents routes, holds no data (test/e2e/openapi-valid.test.ts)',
  'GET /sso/saml/:connection/metadata': "SAML SP metadata an IdP admin downloads: public keys and URLs only (test/e2e/sso/saml-flow.test.ts)",
  'POST /sso/saml/:connection/acs': 'SAML ACS: the signed assertion is the credential (test/e2e/sso/acs-bad-input.test.ts, saml-attacks.test.ts)',
  'GET /sso/oidc/:connection/callback': 'upstream OIDC callback: state, PKCE and the IdP-signed ID token are the credential (test/e2e/sso/oidc-upstream.test.ts)',
  'GET /oidc/interaction/:uid': "sign-in interaction page: bound to oidc-provider's interaction cookie (test/e2e/sso/interaction-bad-input.test.ts)",
  'POST /oidc/interaction/:uid/discover': 'home-realm discovery form: interaction cookie, 16 KiB cap (test/e2e/sso/interaction-bad-input.test.ts)',
  'GET /oidc/interaction/:uid/start': 'starts the upstream sign-in: interaction cookie (test/e2e/sso/interaction-bad-input.test.ts)',
  'GET /oidc/interaction/:uid/complete': 'finishes the sign-in: interaction cookie plus one-time login state (test/e2e/sso/interaction-bad-input.test.ts)',
  'GET /oidc/interaction/:uid/failed': 'failure page of an interaction: interaction cookie (test/e2e/sso/interaction-bad-input.test.ts)',
  'ALL /oidc/*':
    'the OpenID Provider (oidc-provider): OAuth client authentication and RFC error codes; its endpoints are pinned by OIDC_ENDPOINTS (test/e2e/sso/oidc-endpoints-bad-input.test.ts)',
};

/**
 * What `/oidc/.well-known/openid-configuration` advertises (every `*_endpoint` and `jwks_uri`),
 * each with how it authenticates its caller and where that is tested. A provider feature
 * switched on (dynamic registration, device flow, CIBA…) adds an endpoint and fails the guard
 * until it is reviewed here.
 */
export const OIDC_ENDPOINTS: Record<string, { path: string; why: string }> = {
  authorization_endpoint: { path: '/oidc/auth', why: 'a registered client with exact redirect URIs and PKCE; the user signs in through the interaction (test/e2e/sso/saml-flow.test.ts)' },
  token_endpoint: { path: '/oidc/token', why: 'client authentication, codes bound to PKCE and the client (test/e2e/sso/oidc-endpoints-bad-input.test.ts)' },
  userinfo_endpoint: { path: '/oidc/me', why: 'a user access token, else 401 invalid_token (test/e2e/sso/oidc-endpoints-bad-input.test.ts)' },
  jwks_uri: { path: '/oidc/jwks', why: 'public signing keys only' },
  introspection_endpoint: { path: '/oidc/token/introspection', why: "client authentication; another app's tokens are inactive (test/e2e/sso/oidc-endpoints-bad-input.test.ts)" },
  revocation_endpoint: { path: '/oidc/token/revocation', why: "client authentication; only the app's own tokens (test/e2e/sso/oidc-endpoints-bad-input.test.ts)" },
  end_session_endpoint: { path: '/oidc/session/end', why: "the app's id_token_hint and an xsrf-protected confirmation (test/e2e/sso/oidc-endpoints-bad-input.test.ts)" },
  pushed_authorization_request_endpoint: {
    path: '/oidc/request',
    why: "PAR (RFC 9126), on by oidc-provider's default: client authentication, a request_uri only its own client may use (test/e2e/route-guard/oidc-endpoints.test.ts)",
  },
};
