/** Lifetimes (seconds) and limits of the OpenID Provider, in one place. */
export const OIDC_TTL = {
  accessToken: 10 * 60,
  clientCredentials: 10 * 60,
  authorizationCode: 60,
  idToken: 60 * 60,
  interaction: 10 * 60,
  refreshToken: 30 * 24 * 60 * 60,
  grant: 30 * 24 * 60 * 60,
  session: 12 * 60 * 60,
} as const;

/**
 * Back-channel logout: at most this many logout tokens of one fan-out (one logout, one
 * deprovisioned user, one connection change) are in flight at once. oidc-provider gives each
 * delivery 2.5 s.
 */
export const BACKCHANNEL_CONCURRENCY = 8;

/**
 * How long the request that caused a back-channel fan-out waits for it. Deliveries still
 * running or queued then carry on after the response, so every app is still told.
 */
export const BACKCHANNEL_WAIT_MS = 5_000;

/** Tolerance for clock differences when verifying our own JWTs (seconds). */
export const OIDC_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * How long a retired signing key stays in the JWKS: as long as anything it signed is still
 * verified, plus a margin, so no token in circulation loses its verification key. That is the
 * sign-in, not the ID token's own `exp`: RP-initiated logout takes the sign-in's ID token as
 * `id_token_hint` expired (OIDC RP-Initiated Logout §2) for as long as the sign-in stands.
 */
export const RETIRED_KEY_GRACE_SECONDS =
  Math.max(OIDC_TTL.accessToken, OIDC_TTL.clientCredentials, OIDC_TTL.idToken, OIDC_TTL.session) + 5 * 60;

/** The resource indicator (audience) of client-credentials tokens: the authorization API. */
export const authzResource = (baseUrl: string) => `${baseUrl}/stores`;

export const oidcIssuer = (baseUrl: string) => `${baseUrl}/oidc`;

/** Scopes an app may be granted for the authorization API with client credentials. */
export const APP_AUTHZ_SCOPES = ['authz:read', 'authz:write', 'authz:model'] as const;
export type AppAuthzScope = (typeof APP_AUTHZ_SCOPES)[number];

/** OIDC scopes an interactive app may request. */
export const OIDC_SCOPES = ['openid', 'email', 'profile', 'groups', 'offline_access'] as const;
