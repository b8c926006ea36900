import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import type { AuditService } from '../audit/service.ts';
import type { Actor } from '../audit/events.ts';
import type { OidcModelStore } from '../oidc/adapter/model-store.ts';
import { OIDC_TTL } from '../oidc/constants.ts';
import type { SqliteSessionStore } from './sqlite-store.ts';
import { grantsUsable, isLive, type LogoutNotice, type Session } from './session.ts';

export interface NewSession {
  tenant_id: string;
  user_id: string;
  connection_id: string;
  amr: string[];
  acr: string;
  groups: string[];
  idp_session_index: string | null;
  /** The IdP's bound on its session (SAML `SessionNotOnOrAfter`): the session expires then if that is sooner. */
  not_after?: Date | null;
  /** When the person authenticated at the IdP, if it said (kept no later than now). */
  idp_authenticated_at?: Date | null;
}

/** What `revokeWithGrants` ended: live refresh tokens and grants, and whom to tell. */
export interface SessionRevocation {
  refresh_tokens: number;
  grants: number;
  notices: LogoutNotice[];
}

/** Sends OIDC back-channel logout tokens; provided by the OpenID Provider once it is built. */
export interface BackchannelNotifier {
  notify(notices: LogoutNotice[]): Promise<number>;
}

/** Session lifecycle: created at SSO login, resolved for every token, revoked by logout or deprovisioning. */
export class SessionService {
  notifier: BackchannelNotifier = { notify: async () => 0 };

  constructor(
    private readonly store: SqliteSessionStore,
    private readonly models: OidcModelStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Call inside the login's transaction (its `sso.login.succeeded` event names the session). */
  create({ not_after, idp_authenticated_at, ...input }: NewSession): Session {
    const now = this.clock.now();
    const lifetimeEnd = now.getTime() + OIDC_TTL.session * 1000;
    const session: Session = {
      ...input,
      id: newId('ses', now.getTime()),
      oidc_session_uid: null,
      authenticated_at: now.toISOString(),
      idp_authenticated_at: idp_authenticated_at ? new Date(Math.min(idp_authenticated_at.getTime(), now.getTime())).toISOString() : null,
      expires_at: new Date(not_after ? Math.min(lifetimeEnd, not_after.getTime()) : lifetimeEnd).toISOString(),
      idp_session_ends_at: not_after ? not_after.toISOString() : null,
      revoked_at: null,
      revoked_reason: null,
    };
    this.store.insert(session);
    return session;
  }

  find(id: string): Session | undefined {
    return this.store.find(id);
  }

  /**
   * The session a grant was made under, unless revoked or past its IdP's end. Its own lifetime
   * is not checked here: refresh tokens may outlive the browser session, but never its
   * revocation nor the end of the IdP's session (SAML `SessionNotOnOrAfter`).
   */
  forGrant(grantId: string): Session | undefined {
    const s = this.store.findByGrant(grantId);
    return s && grantsUsable(s, this.clock.now()) ? s : undefined;
  }

  /**
   * The sign-in a grant was made under while it still stands (not revoked, not past its
   * lifetime): only such a grant may answer a new authorization request from the browser.
   */
  liveForGrant(grantId: string): Session | undefined {
    const s = this.store.findByGrant(grantId);
    return s && isLive(s, this.clock.now()) ? s : undefined;
  }

  /**
   * The session a token acts under: `liveForGrant` for a token without offline_access (it ends
   * with its sign-in, not with the provider's browser session, which every visit extends),
   * `forGrant` otherwise.
   */
  forToken(token: { grantId: string; expiresWithSession?: boolean }): Session | undefined {
    return token.expiresWithSession ? this.liveForGrant(token.grantId) : this.forGrant(token.grantId);
  }

  usersSignedInThrough(tenantId: string, connectionId: string): string[] {
    return this.store.usersSignedInThrough(tenantId, connectionId);
  }

  connectionsOfUser(tenantId: string, userId: string): string[] {
    return this.store.connectionsOfUser(tenantId, userId);
  }

  liveForOidcSession(uid: string): Session | undefined {
    const s = this.store.findByOidcUid(uid);
    return s && isLive(s, this.clock.now()) ? s : undefined;
  }

  /**
   * Every sign-in behind a provider browser session whose tokens still work, latest first: the
   * live ones and those past their own lifetime whose refresh tokens (`offline_access`) outlive
   * it. What signing out of that browser session ends.
   */
  usableForOidcSession(uid: string): Session[] {
    const now = this.clock.now();
    return this.store.unrevokedByOidcUid(uid).filter((s) => grantsUsable(s, now));
  }

  bindGrant(grantId: string, session: Session, clientId: string, oidcSessionUid: string | undefined): void {
    this.store.bindGrant(grantId, session.id, clientId);
    if (oidcSessionUid) this.store.bindOidcUid(session.id, oidcSessionUid);
  }

  /**
   * Revokes the user's live sessions in this tenant and ends the provider's browser sessions
   * behind them (in the caller's transaction). Returns who must get a back-channel logout.
   */
  revokeSessionsOfUser(tenantId: string, userId: string, reason: string, actor: Actor): { count: number; notices: LogoutNotice[] } {
    const now = this.clock.now().toISOString();
    const notices: LogoutNotice[] = [];
    let count = 0;
    for (const s of this.store.liveSessionsOfUser(tenantId, userId, now)) {
      if (!this.store.revoke(s.id, now, reason)) continue;
      count++;
      if (s.oidc_session_uid) {
        notices.push(...noticesOf(this.models.sessionPayloadByUid(s.oidc_session_uid), userId));
        this.models.destroySessionByUid(s.oidc_session_uid);
      }
      this.audit.record(tenantId, { action: 'session.revoked', target: { type: 'session', id: s.id }, metadata: { reason } }, actor);
    }
    return { count, notices };
  }

  /** The apps to tell over the back channel that this session ends (read before ending it). */
  logoutNoticesOf(session: Session): LogoutNotice[] {
    return session.oidc_session_uid ? noticesOf(this.models.sessionPayloadByUid(session.oidc_session_uid), session.user_id) : [];
  }

  /**
   * Ends one session (logout, replaced by a login to another tenant) and the grants made under it
   * with their tokens: a grant with `offline_access` outlives the provider's session, and its
   * access and refresh tokens would still introspect as active. Call inside a transaction.
   */
  revokeOne(session: Session, reason: string, actor: Actor): void {
    if (!this.store.revoke(session.id, this.clock.now().toISOString(), reason)) return;
    if (session.oidc_session_uid) this.models.destroySessionByUid(session.oidc_session_uid);
    for (const grantId of this.store.grantsOfSession(session.id)) this.models.destroyByGrant(grantId);
    this.audit.record(session.tenant_id, { action: 'session.revoked', target: { type: 'session', id: session.id }, metadata: { reason } }, actor);
  }

  /**
   * Ends one session and what was obtained through it, in the caller's transaction: the
   * provider's browser session behind it, and every grant made under it with its refresh
   * tokens, access tokens and codes (other sessions of the user keep theirs). Audits
   * `session.revoked` with `reason`, `extra` and the counts. Returns who must get a back-channel
   * logout, or undefined when the session had already ended.
   */
  revokeWithGrants(session: Session, reason: string, actor: Actor, extra: Record<string, unknown> = {}): SessionRevocation | undefined {
    const now = this.clock.now();
    const notices = this.logoutNoticesOf(session);
    if (!this.store.revoke(session.id, now.toISOString(), reason)) return undefined;
    if (session.oidc_session_uid) this.models.destroySessionByUid(session.oidc_session_uid);
    const grants = this.store.grantsOfSession(session.id);
    let refreshTokens = 0;
    for (const grantId of grants) {
      refreshTokens += this.models.countRefreshTokensOfGrant(grantId, now.getTime());
      this.models.destroyByGrant(grantId);
    }
    const counts = { refresh_tokens: refreshTokens, grants: grants.length };
    this.audit.record(session.tenant_id, { action: 'session.revoked', target: { type: 'session', id: session.id }, metadata: { reason, ...extra, ...counts } }, actor);
    return { notices, ...counts };
  }

  /** Ends the provider's browser session record (its cookie then signs nobody in). */
  destroyProviderSession(uid: string): void {
    this.models.destroySessionByUid(uid);
  }

  /** Deletes one kind of record ('RefreshToken', 'Grant', …) under every grant of the user. */
  destroyGrantRecords(tenantId: string, userId: string, models: string[]): number {
    let n = 0;
    for (const { grant_id } of this.store.grantsOfUser(tenantId, userId)) {
      for (const model of models) n += this.models.destroyModelOfGrant(model, grant_id);
    }
    return n;
  }
}

function noticesOf(payload: Record<string, any> | undefined, sub: string): LogoutNotice[] {
  const authorizations = (payload?.authorizations ?? {}) as Record<string, { sid?: string }>;
  return Object.entries(authorizations).map(([clientId, a]) => ({ clientId, sub, sid: a.sid }));
}
