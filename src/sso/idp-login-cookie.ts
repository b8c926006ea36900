/**
 * The cookie that carries an IdP-initiated login (a tile click) from the ACS to the app's
 * authorization request that follows: single-use state, read by the sign-in interaction only.
 */
export const IDP_LOGIN_COOKIE = 'ptc_idp_login';
const ATTRIBUTES = 'Path=/oidc/interaction; HttpOnly; SameSite=Lax';

/** Set by the ACS: the IdP-initiated login's state id, for 10 minutes. */
export function idpLoginCookie(stateId: string, secure: boolean): string {
  return `${IDP_LOGIN_COOKIE}=${stateId}; ${ATTRIBUTES}; Max-Age=600${secure ? '; Secure' : ''}`;
}

/** Expires the cookie once the interaction has used it (same name, path and attributes). */
export function expiredIdpLoginCookie(secure: boolean): string {
  return `${IDP_LOGIN_COOKIE}=; ${ATTRIBUTES}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure ? '; Secure' : ''}`;
}
