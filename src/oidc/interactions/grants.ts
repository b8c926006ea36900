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
  return grantFor(provider, sessions, { clientId: String(details.params.client_id), scope: details.params.scope, session });
}

/** A new grant of the OIDC scopes `scope` names, for `clientId`, tied to `session` (and to the provider's browser session `uid` when given). */
export async function grantFor(
  provider: Provider,
  sessions: SessionService,
  o: { clientId: string; scope: unknown; session: Session; uid?: string },
): Promise<string> {
  const grant = new provider.Grant({ accountId: o.session.user_id, clientId: o.clientId });
  const requested = String(o.scope ?? 'openid').split(' ');
  grant.addOIDCScope(requested.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s)).join(' '));
  const grantId = await grant.save();
  sessions.bindGrant(grantId, o.session, o.clientId, o.uid);
  return grantId;
}
