import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { SessionService } from '../../sessions/service.ts';
import type { SqliteAppLookup } from '../apps/sqlite-store.ts';
import type { HomeRealm } from '../../sso/login/home-realm.ts';
import type { Session } from '../../sessions/session.ts';
import type { App } from '../apps/app.ts';
import { grantFor } from '../interactions/grants.ts';

export interface PolicyDeps {
  sessions: SessionService;
  apps: SqliteAppLookup;
  realm: HomeRealm;
}

/**
 * The standard prompts plus one login check: an existing browser session may only be reused
 * when it is live and belongs to the tenant this request is for (the app's tenant, the
 * `organization` parameter, the `login_hint` domain) and, when the app names one, was made
 * through that `connection`. A session from tenant A never signs anyone into tenant B: that
 * asks for a new login (`login_required` to `prompt=none`).
 */
export function interactionPolicyFor(deps: PolicyDeps) {
  const { Check, base } = interactionPolicy;
  const policy = base();
  // For this request the person is not authenticated (only elsewhere): `prompt=none` answers
  // login_required (OIDC Core 3.1.2.6), as the provider's own login checks do. A check added after
  // the prompt was built gets no error of its own, which would read as interaction_required.
  policy.get('login')?.checks.add(
    new Check('session_not_for_this_tenant', 'The existing session does not belong to this organization', 'login_required', (ctx: KoaContextWithOIDC) => {
      if (!ctx.oidc.session?.accountId || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      return servingSession(deps, ctx) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

/**
 * The browser's live sign-in when it may answer this authorization request: it is the provider
 * session's account, of a tenant the app serves, the one the request names (organization, or a
 * login_hint in a verified domain), through the connection it names, if any.
 */
function servingSession(deps: PolicyDeps, ctx: KoaContextWithOIDC): Session | undefined {
  const { oidc } = ctx;
  if (!oidc.session?.accountId) return undefined;
  const session = deps.sessions.liveForOidcSession(oidc.session.uid);
  if (!session || session.user_id !== oidc.session.accountId) return undefined;
  const app = oidc.client ? deps.apps.findLive(oidc.client.clientId) : undefined;
  return sessionFits(deps.realm, app, (oidc.params ?? {}) as Record<string, unknown>, session) ? session : undefined;
}

/**
 * Whether `session` may answer an authorization request of `app` with these parameters: the app
 * serves the session's tenant, the request names no other tenant (organization, or a login_hint
 * in another tenant's verified domain; an unknown organization is refused by a new login, an
 * email domain no tenant verified is only a hint) and no other connection.
 */
export function sessionFits(realm: HomeRealm, app: App | undefined, params: Record<string, unknown>, session: Session): boolean {
  if (!app || (!app.multi_tenant && app.tenant_id !== session.tenant_id)) return false;
  const text = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  const wanted = realm.resolve({ organization: text('organization'), email: text('login_hint') });
  if ('tenant' in wanted && wanted.tenant.id !== session.tenant_id) return false;
  if ('unknown' in wanted && wanted.unknown === 'organization') return false;
  const connection = text('connection');
  return !connection || connection === session.connection_id;
}

/**
 * oidc-provider's default grant lookup, plus: a grant made in our interaction is tied to the
 * browser session that now carries it (so later requests find the tenant-bound session), an
 * earlier grant is reused only while the sign-in it was made under is live, and an app without
 * one is granted from the browser's live sign-in when that may answer the request.
 */
export function loadExistingGrant(deps: PolicyDeps) {
  return async (ctx: KoaContextWithOIDC) => {
    const oidcSession = ctx.oidc.session!;
    const fresh = ctx.oidc.result?.consent?.grantId as string | undefined;
    const grantId = fresh ?? oidcSession.grantIdFor(ctx.oidc.client!.clientId);
    // A grant of a sign-in that has ended (the browser signed in again since) is not reused: its
    // tokens would carry that sign-in's IdP groups and connection. The app is granted anew.
    const session = !grantId ? undefined : fresh ? deps.sessions.forGrant(grantId) : deps.sessions.liveForGrant(grantId);
    if (grantId && session) {
      if (fresh) deps.sessions.bindGrant(grantId, session, ctx.oidc.client!.clientId, oidcSession.uid);
      return ctx.oidc.provider.Grant.find(grantId);
    }
    // Apps are first-party: a live sign-in that may answer this request grants the app here, as
    // the interaction would without a page, so a silent request (prompt=none) is answered too.
    const serving = fresh || ctx.oidc.result?.login ? undefined : servingSession(deps, ctx);
    if (!serving) return undefined;
    const id = await grantFor(ctx.oidc.provider, deps.sessions, { clientId: ctx.oidc.client!.clientId, scope: ctx.oidc.params?.scope, session: serving, uid: oidcSession.uid });
    return ctx.oidc.provider.Grant.find(id);
  };
}
