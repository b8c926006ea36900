import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { IDP_LOGIN_COOKIE, expiredIdpLoginCookie } from '../../sso/idp-login-cookie.ts';
import { authTimeOf, type Session } from '../../sessions/session.ts';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type Provider from 'oidc-provider';
import type { AuditService } from '../../audit/service.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Clock } from '../../lib/clock.ts';
import type { SessionService } from '../../sessions/service.ts';
import type { LoginService } from '../../sso/login/service.ts';
import type { SqliteLoginStates } from '../../sso/login/state-store.ts';
import type { HomeRealm } from '../../sso/login/home-realm.ts';
import type { ConnectionService } from '../../sso/connections/service.ts';
import type { SqliteTenantRegistry } from '../../tenants/sqlite-store.ts';
import type { SqliteAppLookup } from '../apps/sqlite-store.ts';
import type { ProviderHolder } from '../provider/holder.ts';
import { connectionPickerPage, errorPage, pickerPage } from '../pages.ts';
import { GENERIC_LOGIN_FAILURE, LoginFailure } from '../../sso/login/failures.ts';
import { UpstreamOidcError } from '../../sso/oidc/upstream.ts';
import { actorFrom } from '../../http/actor.ts';
import { bodyLimit } from '../../http/body-limit.ts';
import { grantForSession } from './grants.ts';
import { routeLogin } from './routing.ts';
import { reauthenticationOf } from './reauthentication.ts';
import { sessionFits } from '../provider/policy.ts';
import { APP_AUTHZ_SCOPES } from '../constants.ts';

export interface InteractionDeps {
  holder: ProviderHolder;
  apps: SqliteAppLookup;
  sessions: SessionService;
  states: SqliteLoginStates;
  login: LoginService;
  realm: HomeRealm;
  connections: ConnectionService;
  tenants: SqliteTenantRegistry;
  storage: Storage;
  audit: AuditService;
  clock: Clock;
  /** Cookies carry `Secure` (an https BASE_URL). */
  secureCookies: boolean;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
const node = (c: Context) => c.env as HttpBindings;
const base = (uid: string) => `/oidc/interaction/${encodeURIComponent(uid)}`;

/**
 * The sign-in interaction the provider hands over to: find the tenant and its IdP, send the
 * browser there, and when the IdP leg has created a session, finish the interaction.
 */
export function interactionRoutes(d: InteractionDeps) {
  const app = new Hono();

  const details = async (c: Context): Promise<Details | Response> => {
    const expired = () => c.html(errorPage('This sign-in link has expired. Start again from the application.', c.get('requestId')), 400);
    try {
      // The provider finds the interaction by its cookie; the uid in the path must be that one.
      const found = await d.holder.get().interactionDetails(node(c).incoming, node(c).outgoing);
      return found.uid === c.req.param('uid') ? found : expired();
    } catch {
      return expired();
    }
  };

  const finishWithError = async (c: Context, reason: string, tenantId?: string, extra?: { connection_id: string; detail: string }): Promise<Response> => {
    if (tenantId) {
      d.storage.transaction(() =>
        d.audit.record(tenantId, { action: 'sso.login.failed', target: { type: 'tenant', id: tenantId }, metadata: { reason, ...extra } }, { ...actorFrom(c), type: 'user' }),
      );
    }
    await d.holder.get().interactionFinished(node(c).incoming, node(c).outgoing, { error: 'access_denied', error_description: 'Sign-in failed.' }, { mergeWithLastSubmission: false });
    return RESPONSE_ALREADY_SENT;
  };

  const proceed = async (c: Context, i: Details, hints: { organization?: string; email?: string; connection?: string }) => {
    const app = d.apps.findLive(String(i.params.client_id));
    if (!app) return finishWithError(c, 'app_not_found');
    // The organization the app asked for is binding: nothing the person types and no link they
    // edit moves the sign-in to another tenant. One that does not exist ends the sign-in. The
    // connection it names is binding the same way (an edited /start link, the discover form).
    const asked = typeof i.params.organization === 'string' && i.params.organization.trim() ? i.params.organization : undefined;
    const askedConnection = typeof i.params.connection === 'string' && i.params.connection ? i.params.connection : undefined;
    const route = routeLogin(d, app, { ...hints, ...(asked ? { organization: asked } : {}), ...(askedConnection ? { connection: askedConnection } : {}) });
    if ('ask' in route) {
      if (asked) return finishWithError(c, 'organization_not_found');
      return c.html(pickerPage(`${base(i.uid)}/discover`, route.ask), route.ask ? 400 : 200);
    }
    if ('refuse' in route) {
      const { reason, tenantId, connection_id, detail } = route.refuse;
      return finishWithError(c, reason, tenantId, connection_id && detail ? { connection_id, detail } : undefined);
    }
    if ('choose' in route) {
      const links = route.choose.connections.map((x) => ({ name: x.name, href: `${base(i.uid)}/start?connection=${encodeURIComponent(x.id)}&organization=${encodeURIComponent(route.choose.tenant.id)}` }));
      return c.html(connectionPickerPage(links));
    }
    let url: string;
    try {
      url = await d.login.begin({ connection: route.go, purpose: 'login', interactionUid: i.uid, ...(hints.email ? { loginHint: hints.email } : {}), ...reauthenticationOf(i) });
    } catch (err) {
      // The upstream IdP is unreachable or its discovery document unusable, or the SAML IdP's
      // metadata expired: the person sees the generic failure at the app, the audit log says
      // which connection and why.
      if (err instanceof LoginFailure) return finishWithError(c, err.reason, route.go.tenant_id, { connection_id: route.go.id, detail: err.detail.slice(0, 500) });
      if (!(err instanceof UpstreamOidcError)) throw err;
      return finishWithError(c, err.reason, route.go.tenant_id, { connection_id: route.go.id, detail: err.message.slice(0, 500) });
    }
    return c.redirect(url, 303);
  };

  app.get('/oidc/interaction/:uid', async (c) => {
    const i = await details(c);
    if (i instanceof Response) return i;
    // The authorization API's scopes are for client credentials; a sign-in can never be granted
    // them, and asking again for the missing grant would loop between provider and interaction.
    const authzScopes = String(i.params.scope ?? '').split(' ').filter((x) => (APP_AUTHZ_SCOPES as readonly string[]).includes(x));
    if (authzScopes.length > 0) {
      const error_description = `${authzScopes.join(' ')}: scopes of the authorization API are granted with client credentials only`;
      await d.holder.get().interactionFinished(node(c).incoming, node(c).outgoing, { error: 'invalid_scope', error_description }, { mergeWithLastSubmission: false });
      return RESPONSE_ALREADY_SENT;
    }
    if (i.prompt.name === 'consent') return consentOnly(c, i);
    const idpLogin = getCookie(c, IDP_LOGIN_COOKIE);
    if (idpLogin) {
      expireIdpLoginCookie(c);
      const landed = await idpInitiated(c, i, idpLogin);
      if (landed) return landed;
    }
    const p = i.params as Record<string, string | undefined>;
    return proceed(c, i, { organization: p.organization, email: p.login_hint, connection: p.connection });
  });

  /**
   * Used once, whatever comes next: on Node's response, which the provider writes itself when it
   * finishes the interaction, and on Hono's, which replaces Node's Set-Cookie when it has its own.
   */
  const expireIdpLoginCookie = (c: Context) => {
    const expired = expiredIdpLoginCookie(d.secureCookies);
    node(c).outgoing.appendHeader('Set-Cookie', expired);
    c.header('Set-Cookie', expired, { append: true });
  };

  app.post('/oidc/interaction/:uid/discover', bodyLimit(16 * 1024), async (c) => {
    const i = await details(c);
    if (i instanceof Response) return i;
    // A body that is not a readable form (a broken multipart one) is the person's error, not a 500.
    const form = await c.req.parseBody().catch(() => undefined);
    if (!form) return c.html(pickerPage(`${base(i.uid)}/discover`, 'The form could not be read. Please try again.'), 400);
    const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).slice(0, 320) : undefined);
    return proceed(c, i, { organization: text('organization'), email: text('email') });
  });

  app.get('/oidc/interaction/:uid/start', async (c) => {
    const i = await details(c);
    if (i instanceof Response) return i;
    // The app's login_hint rides along to the picked IdP (as it does when there is no picker).
    const hint = typeof i.params.login_hint === 'string' ? i.params.login_hint : undefined;
    return proceed(c, i, { organization: c.req.query('organization'), connection: c.req.query('connection'), email: hint });
  });

  app.get('/oidc/interaction/:uid/complete', async (c) => {
    const i = await details(c);
    if (i instanceof Response) return i;
    const sessionId = d.states.completeForInteraction(c.req.query('state') ?? '', i.uid, d.clock.now().toISOString());
    const session = sessionId ? d.sessions.find(sessionId) : undefined;
    if (!session || session.revoked_at) return c.html(errorPage(GENERIC_LOGIN_FAILURE, c.get('requestId')), 400);
    return finishWithSession(c, i, session);
  });

  /** Signs the browser in as `session` for this authorization request (login + grant). */
  const finishWithSession = async (c: Context, i: Details, session: Session) => {
    await forgetOtherAccount(c, i, session.user_id);
    const grantId = await grantForSession(d.holder.get(), d.sessions, i, session);
    const login = { accountId: session.user_id, amr: session.amr, acr: session.acr, ts: authTimeOf(session) };
    await d.holder.get().interactionFinished(node(c).incoming, node(c).outgoing, { login, consent: { grantId } }, { mergeWithLastSubmission: false });
    return RESPONSE_ALREADY_SENT;
  };

  /** The app's request after an IdP-initiated login: use that session if the app may serve its tenant. */
  const idpInitiated = async (c: Context, i: Details, stateId: string) => {
    const sessionId = d.states.completeIdpInitiated(stateId, d.clock.now().toISOString());
    const session = sessionId ? d.sessions.find(sessionId) : undefined;
    const app = d.apps.findLive(String(i.params.client_id));
    if (!session || session.revoked_at) return undefined;
    // As for a browser's session (the same check), and no fresh authentication asked for
    // (prompt=login, an exceeded max_age): otherwise the usual routing takes the request.
    if (!sessionFits(d.realm, app, i.params, session) || reauthenticationOf(i).reauthenticate) return undefined;
    return finishWithSession(c, i, session);
  };

  app.get('/oidc/interaction/:uid/failed', async (c) => {
    const i = await details(c);
    if (i instanceof Response) return i;
    await d.holder.get().interactionFinished(node(c).incoming, node(c).outgoing, { error: 'access_denied', error_description: 'Sign-in failed.' }, { mergeWithLastSubmission: false });
    return RESPONSE_ALREADY_SENT;
  });

  /** A live session that only lacks a grant for this app: grant and continue, no IdP round trip. */
  const consentOnly = async (c: Context, i: Details) => {
    const session = i.session?.uid ? d.sessions.liveForOidcSession(i.session.uid) : undefined;
    if (!session) return finishWithError(c, 'session_not_found');
    const grantId = await grantForSession(d.holder.get(), d.sessions, i, session);
    await d.holder.get().interactionFinished(node(c).incoming, node(c).outgoing, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return RESPONSE_ALREADY_SENT;
  };

  /** The browser was signed in as someone else (e.g. another tenant): end that session first. */
  const forgetOtherAccount = async (c: Context, i: Details, accountId: string) => {
    if (!i.session?.uid || i.session.accountId === accountId) return;
    const previous = d.sessions.liveForOidcSession(i.session.uid);
    const notices = d.storage.transaction(() => {
      const apps = previous ? d.sessions.logoutNoticesOf(previous) : [];
      // Every sign-in of that browser session whose tokens still work: a step-up left the earlier
      // one under it too, and one past its lifetime may hold offline_access refresh tokens.
      for (const s of d.sessions.usableForOidcSession(i.session!.uid)) d.sessions.revokeOne(s, 'replaced_by_new_login', { ...actorFrom(c), type: 'user', id: s.user_id });
      d.sessions.destroyProviderSession(i.session!.uid);
      return apps;
    });
    await d.sessions.notifier.notify(notices);
    const interaction = await d.holder.get().Interaction.find(i.uid);
    if (interaction) {
      interaction.session = undefined;
      await interaction.save(Math.max(1, (interaction.exp ?? 0) - Math.floor(Date.now() / 1000)));
    }
  };

  return app;
}
