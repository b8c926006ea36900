import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { DirectoryLookup } from '../../directory/lookup.ts';
import type { SqliteTenantRegistry } from '../../tenants/sqlite-store.ts';
import type { SessionService } from '../../sessions/service.ts';
import type { Session } from '../../sessions/session.ts';

export interface AccountDeps {
  directory: () => DirectoryLookup | undefined;
  tenants: SqliteTenantRegistry;
  sessions: SessionService;
  /** The tenant's verified email domains (DNS TXT): only there is an email vouched for. */
  domains: { isVerifiedFor(tenantId: string, domain: string): boolean };
}

/**
 * The session a token or request acts under: by the token's grant (code, access and refresh
 * tokens) or the grant our interaction just made, else by the provider's browser session. Revoked sessions resolve to nothing, so
 * their tokens stop working at once.
 */
export function sessionFor(deps: AccountDeps, ctx: KoaContextWithOIDC, token: { grantId?: string; expiresWithSession?: boolean } | undefined): Session | undefined {
  const grantId = token?.grantId ?? (ctx.oidc?.result?.consent?.grantId as string | undefined);
  if (grantId) return deps.sessions.forToken({ grantId, expiresWithSession: token?.expiresWithSession });
  const uid = ctx.oidc?.session?.uid;
  return uid ? deps.sessions.liveForOidcSession(uid) : undefined;
}

/**
 * oidc-provider's `findAccount`: the directory user behind `sub`, in the tenant of the session
 * that authenticated. A deactivated user, a deleted tenant or a revoked session has no account,
 * which fails code exchange, refresh and userinfo.
 */
export function findAccount(deps: AccountDeps): FindAccount {
  return async (ctx, sub, token): Promise<Account | undefined> => {
    const session = sessionFor(deps, ctx, token as { grantId?: string; expiresWithSession?: boolean } | undefined);
    if (!session || session.user_id !== sub) return undefined;
    const tenant = deps.tenants.findById(session.tenant_id);
    if (!tenant || tenant.status !== 'active') return undefined;
    const directory = deps.directory();
    const user = directory?.findUserById(session.tenant_id, sub);
    if (!directory || !user || !user.active) return undefined;
    return {
      accountId: sub,
      async claims() {
        const groups = new Set(session.groups);
        for (const g of directory.groupsOfUser(session.tenant_id, sub)) groups.add(g.display_name);
        const name = user.display_name ?? ([user.given_name, user.family_name].filter(Boolean).join(' ') || null);
        return {
          sub,
          email: user.email ?? undefined,
          email_verified: user.email ? emailVerified(deps, session.tenant_id, user.email) : undefined,
          name: name ?? undefined,
          given_name: user.given_name ?? undefined,
          family_name: user.family_name ?? undefined,
          org_id: tenant.id,
          org_slug: tenant.slug,
          connection_id: session.connection_id,
          groups: [...groups].sort(),
        };
      },
    };
  };
}

/**
 * A tenant's IdP and SCIM client may assert any address; Portcullis vouches only for those in a
 * domain the tenant proved it holds. Otherwise a tenant could hand a multi-tenant app, which may
 * link accounts by verified email, another company's address (`ceo@othercorp.example`).
 */
function emailVerified(deps: AccountDeps, tenantId: string, email: string): boolean {
  return deps.domains.isVerifiedFor(tenantId, email.slice(email.lastIndexOf('@') + 1).toLowerCase());
}
