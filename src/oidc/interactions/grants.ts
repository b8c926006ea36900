import type Provider from 'oidc-provider';
import type { SessionService } from '../../sessions/service.ts';
import type { Session } from '../../sessions/session.ts';
import { OIDC_SCOPES } from '../constants.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Apps are first-party (registered by the tenant's or platform's admin), so Portcullis grants
 * the OIDC scopes they request without a consent screen, and ties the grant to the session.
 */
export async function grantForSession(provider: Provider, sessions: SessionService, details: Details, session: Session): Promise<string> {
  const clientId = String(details.params.client_id);
  const grant = new provider.Grant({ accountId: session.user_id, clientId });
  const requested = String(details.params.scope ?? 'openid').split(' ');
  grant.addOIDCScope(requested.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s)).join(' '));
  const grantId = await grant.save();
  sessions.bindGrant(grantId, session, clientId, undefined);
  return grantId;
}
