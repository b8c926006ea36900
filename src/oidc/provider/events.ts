import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import type { Storage } from '../../storage/storage.ts';
import type { SessionService } from '../../sessions/service.ts';

export interface EventDeps {
  storage: Storage;
  audit: AuditService;
  sessions: SessionService;
  logger: Logger;
}

function actorOf(ctx: KoaContextWithOIDC, userId: string | null): Actor {
  return {
    type: userId ? 'user' : 'system',
    id: userId,
    credential_id: null,
    ip: ctx.ip ?? null,
    user_agent: ctx.get('user-agent')?.slice(0, 512) || null,
    request_id: ctx.get('x-request-id') || null,
  };
}

/**
 * Provider events that change state Portcullis tracks: a reused refresh token (the provider
 * revokes the grant; we audit it) and RP-initiated logout (the tenant-bound session ends too).
 */
export function auditProviderEvents(provider: Provider, deps: EventDeps): void {
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const refresh = ctx.oidc?.entities?.RefreshToken as { consumed?: unknown; jti?: string } | undefined;
    if (ctx.oidc?.route !== 'token' || !refresh?.consumed) return;
    const session = deps.sessions.forGrant(grantId) ?? undefined;
    if (!session) return;
    deps.storage.transaction(() =>
      deps.audit.record(
        session.tenant_id,
        {
          action: 'oidc.refresh_token.reuse_detected',
          target: { type: 'grant', id: grantId },
          metadata: { client_id: ctx.oidc.client?.clientId ?? null, session_id: session.id, user_id: session.user_id },
        },
        actorOf(ctx, null),
      ),
    );
  });

  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const uid = ctx.oidc?.session?.uid;
    if (!uid || !ctx.oidc.params?.logout) return;
    // Also a sign-in past its 12 hours (the browser's session outlives it): its offline_access
    // refresh tokens would outlive the logout. A step-up left an earlier sign-in here: it ends too.
    const ended = deps.sessions.usableForOidcSession(uid);
    const session = ended[0];
    if (!session) return;
    deps.storage.transaction(() => {
      for (const s of ended) deps.sessions.revokeOne(s, 'logout', actorOf(ctx, s.user_id));
      deps.audit.record(
        session.tenant_id,
        { action: 'oidc.logout', target: { type: 'session', id: session.id }, metadata: { client_id: ctx.oidc.client?.clientId ?? null } },
        actorOf(ctx, session.user_id),
      );
    });
  });

  provider.on('backchannel.error', (_ctx: unknown, err: Error, client: { clientId: string }) => {
    deps.logger.warn({ err: err.message, client_id: client.clientId }, 'back-channel logout failed');
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => deps.logger.error({ err }, 'OpenID Provider error'));
}
