/**
 * A sign-in at Portcullis, bound to the tenant and the connection (IdP) that authenticated it.
 * The OpenID Provider's browser session and every grant made under it point here, so tokens
 * and claims always carry this tenant and nothing else.
 */
export interface Session {
  id: string;
  tenant_id: string;
  user_id: string;
  connection_id: string;
  oidc_session_uid: string | null;
  amr: string[];
  acr: string;
  /** IdP group names received at login (mapped claims use these). */
  groups: string[];
  idp_session_index: string | null;
  /** When Portcullis created this session (the sign-in it finished). */
  authenticated_at: string;
  /**
   * When the person authenticated at the IdP, when the IdP said (SAML `AuthnInstant`, OIDC
   * `auth_time`; never later than `authenticated_at`): the ID token's `auth_time`. Null: unknown.
   */
  idp_authenticated_at: string | null;
  /** When this sign-in ends: its own lifetime, or the IdP's end when that is sooner. */
  expires_at: string;
  /**
   * The end the IdP set for its session (SAML `SessionNotOnOrAfter`): past it, nothing issued
   * under this sign-in works any more, refresh tokens included. Null: the IdP set none.
   */
  idp_session_ends_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}

export function sessionView(s: Session) {
  return {
    id: s.id,
    tenant_id: s.tenant_id,
    user_id: s.user_id,
    connection_id: s.connection_id,
    amr: s.amr,
    acr: s.acr,
    authenticated_at: s.authenticated_at,
    idp_authenticated_at: s.idp_authenticated_at,
    expires_at: s.expires_at,
    revoked_at: s.revoked_at,
    revoked_reason: s.revoked_reason,
  };
}

/** The time the ID token's `auth_time` reports: the IdP's authentication when known, else this sign-in's. */
export function authTimeOf(s: Session): number {
  return Math.floor(Date.parse(s.idp_authenticated_at ?? s.authenticated_at) / 1000);
}

export function isLive(s: Session, now: Date): boolean {
  return s.revoked_at === null && s.expires_at > now.toISOString();
}

/**
 * Whether tokens issued under this sign-in still work: it is not revoked and its IdP's session
 * has not ended. Its own lifetime does not matter here (refresh tokens outlive the browser session).
 */
export function grantsUsable(s: Session, now: Date): boolean {
  return s.revoked_at === null && (s.idp_session_ends_at === null || s.idp_session_ends_at > now.toISOString());
}

/** Who to tell (back-channel logout) when a session ends. */
export interface LogoutNotice {
  clientId: string;
  sub: string;
  sid: string | undefined;
}
