import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { decodeCursor, toPage, type Page } from '../../lib/pagination.ts';
import { badRequest, notFound, preconditionFailed } from '../../http/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import type { OidcModelStore } from '../adapter/model-store.ts';
import type { AppAuthzScope } from '../constants.ts';
import { appEtag, appView, assertAppUri, assertNativeAppUri, isNativeApp, type App, type AppAuthMethod, type AppGrantType, type AppWithSecret } from './app.ts';
import { SqliteTenantApps } from './sqlite-store.ts';
import { ifMatchAccepts } from '../../lib/etag.ts';
import { isDeepStrictEqual } from 'node:util';

export interface AppInput {
  name: string;
  grant_types: AppGrantType[];
  token_endpoint_auth_method?: AppAuthMethod;
  authz_scopes?: AppAuthzScope[];
  multi_tenant?: boolean;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string | null;
  initiate_login_uri?: string | null;
}

export type AppPatch = Partial<Omit<AppInput, 'token_endpoint_auth_method' | 'multi_tenant'>>;

export interface CreatedApp {
  app: App;
  /** Shown once; only its SHA-256 is stored. Absent for public clients. */
  client_secret: string | null;
}

const SECRET_PREFIX = 'ptc_app_';

/** OIDC clients (apps) of a tenant: registered, changed and removed through the admin API. */
export class AppService {
  constructor(
    private readonly storage: Storage,
    private readonly models: OidcModelStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  #repo(tenantId: string) {
    return new SqliteTenantApps(this.storage.sql, tenantId);
  }

  create(tenantId: string, input: AppInput, actor: Actor): CreatedApp {
    const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
    const now = this.clock.now().toISOString();
    const secret = method === 'none' ? null : SECRET_PREFIX + randomToken(32);
    const app: AppWithSecret = {
      id: newId('app', this.clock.now().getTime()),
      tenant_id: tenantId,
      name: input.name,
      secret_hash: secret ? sha256Hex(secret) : null,
      token_endpoint_auth_method: method,
      grant_types: [...new Set(input.grant_types)],
      authz_scopes: [...new Set(input.authz_scopes ?? [])],
      multi_tenant: input.multi_tenant ?? false,
      redirect_uris: input.redirect_uris ?? [],
      post_logout_redirect_uris: input.post_logout_redirect_uris ?? [],
      backchannel_logout_uri: input.backchannel_logout_uri ?? null,
      initiate_login_uri: input.initiate_login_uri ?? null,
      version: 1,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    assertConsistent(app);
    this.storage.transaction(() => {
      this.#repo(tenantId).insert(app);
      this.audit.record(tenantId, { action: 'oidc.app.created', target: { type: 'app', id: app.id }, after: appView(app) }, actor);
    });
    return { app: this.get(tenantId, app.id), client_secret: secret };
  }

  get(tenantId: string, id: string): App {
    const app = this.#repo(tenantId).find(id);
    if (!app) throw notFound('app');
    return withoutSecret(app);
  }

  list(tenantId: string, cursor: string | undefined, limit: number): Page<App> {
    const rows = this.#repo(tenantId).list(decodeCursor(cursor), limit + 1).map(withoutSecret);
    return toPage(rows, limit, (a) => a.id);
  }

  update(tenantId: string, id: string, patch: AppPatch, ifMatch: string | undefined, actor: Actor): App {
    return this.storage.transaction(() => {
      const repo = this.#repo(tenantId);
      const before = repo.find(id);
      if (!before) throw notFound('app');
      if (ifMatch !== undefined && !ifMatchAccepts(ifMatch, appEtag(before))) throw preconditionFailed();
      const next: AppWithSecret = { ...before, ...definedOnly(patch) } as AppWithSecret;
      next.grant_types = [...new Set(next.grant_types)];
      next.authz_scopes = [...new Set(next.authz_scopes)];
      assertConsistent(next);
      // Settings as they already are (an empty PATCH, a client re-sending what it read): no write, no event, same ETag.
      if (sameAppSettings(before, next)) return withoutSecret(before);
      repo.update(next, this.clock.now().toISOString());
      const after = this.get(tenantId, id);
      this.audit.record(
        tenantId,
        { action: 'oidc.app.updated', target: { type: 'app', id }, before: appView(before), after: appView(after) },
        actor,
      );
      return after;
    });
  }

  rotateSecret(tenantId: string, id: string, actor: Actor): CreatedApp {
    return this.storage.transaction(() => {
      const repo = this.#repo(tenantId);
      const app = repo.find(id);
      if (!app) throw notFound('app');
      if (app.token_endpoint_auth_method === 'none') throw badRequest('public_client', 'A public client has no secret.');
      const secret = SECRET_PREFIX + randomToken(32);
      repo.update({ ...app, secret_hash: sha256Hex(secret) }, this.clock.now().toISOString());
      this.audit.record(tenantId, { action: 'oidc.app.secret_rotated', target: { type: 'app', id } }, actor);
      return { app: this.get(tenantId, id), client_secret: secret };
    });
  }

  /** Removes the app and every grant, code and token issued to it. */
  delete(tenantId: string, id: string, actor: Actor): void {
    this.storage.transaction(() => {
      const repo = this.#repo(tenantId);
      const app = repo.find(id);
      if (!app) throw notFound('app');
      repo.markDeleted(id, this.clock.now().toISOString());
      const tokens = this.models.destroyByClient(id);
      this.audit.record(
        tenantId,
        { action: 'oidc.app.deleted', target: { type: 'app', id }, before: appView(app), metadata: { tokens_revoked: tokens } },
        actor,
      );
    });
  }
}

function withoutSecret(a: AppWithSecret): App {
  const { secret_hash: _ignored, ...rest } = a;
  return rest;
}

/** Equal settings as the store keeps them: every list compared as a set (URIs are read back sorted; grant types and scopes mean the same in any order). */
function sameAppSettings(a: AppWithSecret, b: AppWithSecret): boolean {
  const comparable = (x: AppWithSecret) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Array.isArray(v) ? [...new Set(v)].sort() : v]));
  return isDeepStrictEqual(comparable(a), comparable(b));
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function assertConsistent(a: AppWithSecret): void {
  const interactive = a.grant_types.includes('authorization_code');
  if (a.grant_types.length === 0) throw badRequest('invalid_app', 'grant_types must not be empty.');
  if (interactive && a.redirect_uris.length === 0) {
    throw badRequest('invalid_app', 'An app using authorization_code needs at least one redirect URI.');
  }
  if (a.grant_types.includes('refresh_token') && !interactive) {
    throw badRequest('invalid_app', 'refresh_token needs authorization_code.');
  }
  if (a.token_endpoint_auth_method === 'none' && a.grant_types.includes('client_credentials')) {
    throw badRequest('invalid_app', 'client_credentials needs a confidential client (a client secret).');
  }
  if (a.authz_scopes.length > 0 && !a.grant_types.includes('client_credentials')) {
    throw badRequest('invalid_app', 'authz_scopes apply to client_credentials apps.');
  }
  a.redirect_uris.forEach((u) => assertAppUri(u, 'redirect_uris'));
  a.post_logout_redirect_uris.forEach((u) => assertAppUri(u, 'post_logout_redirect_uris'));
  if (a.backchannel_logout_uri) assertAppUri(a.backchannel_logout_uri, 'backchannel_logout_uri');
  if (a.initiate_login_uri) assertAppUri(a.initiate_login_uri, 'initiate_login_uri');
  if (isNativeApp(a.redirect_uris)) {
    a.redirect_uris.forEach((u) => assertNativeAppUri(u, 'redirect_uris'));
    a.post_logout_redirect_uris.forEach((u) => assertNativeAppUri(u, 'post_logout_redirect_uris'));
  }
}
