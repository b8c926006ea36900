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
 * What `/oidc/.well-known/openid-configuration` advertises, each with how the endpoint
 * authenticates its caller. A provider feature switched on (dynamic registration, device flow,
 * PAR…) adds an endpoint here and fails the guard until it is reviewed.
 */
export const OIDC_ENDPOINTS: Record<string, string> = {
  authorization_endpoint: '/oidc/auth — the app is a registered client with exact redirect URIs; the user signs in through the interaction',
  token_endpoint: '/oidc/token — client authentication (client_secret_basic/post), codes bound to PKCE',
  userinfo_endpoint: '/oidc/me — a user access token (401 invalid_token otherwise)',
  jwks_uri: '/oidc/jwks — public signing keys',
  introspection_endpoint: '/oidc/token/introspection — client authentication; foreign tokens are inactive',
  revocation_endpoint: '/oidc/token/revocation — client authentication; only the app\'s own tokens',
  end_session_endpoint: '/oidc/session/end — id_token_hint of the app, xsrf-protected confirmation',
};
