import { randomPKCECodeVerifier, randomNonce } from 'openid-client';
import { randomToken } from '../../lib/crypto.ts';
import { badRequest } from '../../http/errors.ts';
import type { Connection } from '../connections/connection.ts';
import { authnRequestUrl, samlContext, type SamlContext } from '../saml/service-provider.ts';
import { LOGIN_STATE_TTL_MS, type LoginDeps } from './deps.ts';
import type { LoginState } from './state-store.ts';
import { assertMetadataCurrentForSignIn } from './metadata-current.ts';

export interface BeginLogin {
  connection: Connection;
  purpose: LoginState['purpose'];
  interactionUid: string | null;
  loginHint?: string;
  /**
   * The app asked for a fresh authentication (`prompt=login`, or a `max_age` the session
   * exceeded): the IdP is told to re-authenticate (SAML `ForceAuthn`, OIDC `prompt=login`) and
   * its answer is held to it.
   */
  reauthenticate?: boolean;
  /** The app's `max_age` (seconds), passed on to an OIDC IdP. */
  maxAge?: number;
}

/**
 * Records the login state and returns the IdP URL to send the browser to. A SAML connection whose
 * metadata expired refuses with a `LoginFailure` (`saml_metadata_expired`) for its caller to audit.
 */
export async function beginLogin(
  deps: LoginDeps,
  args: BeginLogin,
  saml: (c: Connection) => SamlContext = (c) => samlContext(c, deps.baseUrl, deps.box),
): Promise<string> {
  const { connection } = args;
  if (args.purpose === 'login' && connection.status !== 'active') throw badRequest('connection_not_active', 'The connection is not active.');
  if (connection.status === 'inactive') throw badRequest('connection_inactive', 'The connection is inactive.');
  const now = deps.clock.now();
  assertMetadataCurrentForSignIn(connection, now);
  // SAML has no max_age: the only way to honour one at an IdP visit is a fresh authentication
  // (OIDC Core 3.1.2.1: the OP must re-authenticate rather than report an older auth_time).
  const forced = args.reauthenticate === true || (connection.protocol === 'saml' && args.maxAge !== undefined);
  const state: LoginState = {
    id: randomToken(32),
    tenant_id: connection.tenant_id,
    connection_id: connection.id,
    purpose: args.purpose,
    interaction_uid: args.interactionUid,
    request_id: connection.protocol === 'saml' ? `_${randomToken(20)}` : null,
    nonce: connection.protocol === 'oidc' ? randomNonce() : null,
    code_verifier: connection.protocol === 'oidc' ? randomPKCECodeVerifier() : null,
    result_session_id: null,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + LOGIN_STATE_TTL_MS).toISOString(),
    consumed_at: null,
    completed_at: null,
    forced_reauthentication: forced ? 1 : 0,
  };
  deps.states.insert(state);
  if (connection.protocol === 'saml') {
    return authnRequestUrl(saml(connection), state.request_id as string, state.id, forced);
  }
  return deps.upstream.authorizationUrl(connection as Connection & { oidc: NonNullable<Connection['oidc']> }, {
    state: state.id,
    nonce: state.nonce as string,
    codeVerifier: state.code_verifier as string,
    ...(args.loginHint ? { loginHint: args.loginHint } : {}),
    ...(args.reauthenticate ? { reauthenticate: true } : {}),
    ...(args.maxAge !== undefined ? { maxAge: args.maxAge } : {}),
  });
}
