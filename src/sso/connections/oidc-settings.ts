import { badRequest } from '../../http/errors.ts';
import { constantTimeEqual } from '../../lib/crypto.ts';
import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import { UPSTREAM_SECRET_CONTEXT } from '../oidc/upstream.ts';
import type { OidcSettings } from './connection.ts';
import { assertEntraTenancy, assertGoogleDomains, assertIssuer, type OidcInput } from './inputs.ts';

/**
 * An OIDC connection's settings from what an admin sent over what it had: the client secret
 * sealed at rest (a re-sent current secret keeps its seal, so it is no change), the Entra tenancy
 * and Google domain rules held.
 */
export function oidcSettings(input: OidcInput | undefined, current: OidcSettings | undefined, box: SecretBox): OidcSettings {
  const issuer = input?.issuer ?? current?.issuer;
  const clientId = input?.client_id ?? current?.client_id;
  if (!issuer || !clientId) throw badRequest('invalid_connection', 'An OIDC connection needs oidc.issuer and oidc.client_id.');
  assertIssuer(issuer);
  const secret = input?.client_secret;
  const settings: OidcSettings = {
    issuer,
    client_id: clientId,
    client_secret_sealed:
      secret === undefined || (secret !== null && isCurrentSecret(secret, current, box))
        ? (current?.client_secret_sealed ?? null)
        : secret === null
          ? null
          : box.seal(secret, UPSTREAM_SECRET_CONTEXT),
    scopes: input?.scopes ?? current?.scopes ?? 'openid email profile',
    entra_multi_tenant: input?.entra_multi_tenant ?? current?.entra_multi_tenant ?? false,
    allowed_entra_tenants: input?.allowed_entra_tenants ?? current?.allowed_entra_tenants ?? [],
    allowed_google_domains: (input?.allowed_google_domains ?? current?.allowed_google_domains ?? []).map((d) => d.toLowerCase()),
  };
  assertEntraTenancy(settings);
  assertGoogleDomains(settings);
  return settings;
}

/** Whether `secret` is the one already sealed on the connection (a client re-sending it is no change). */
function isCurrentSecret(secret: string, current: OidcSettings | undefined, box: SecretBox): boolean {
  if (!current?.client_secret_sealed) return false;
  try {
    return constantTimeEqual(box.open(current.client_secret_sealed, UPSTREAM_SECRET_CONTEXT), secret);
  } catch {
    return false;
  }
}
