import { SCOPES } from '../../../src/apikeys/scopes.ts';
import { systemActor } from '../../../src/audit/events.ts';
import type { Services } from '../../../src/services.ts';
import type { RequestOptions } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/** What the fixture needs of a running Portcullis: the Harness (in process) or an HTTP adapter. */
export interface GuardClient {
  services: Services;
  platformKey: string;
  json<T = any>(method: string, path: string, o?: RequestOptions): Promise<{ status: number; body: T; res: Response }>;
  /** A client-credentials access token from /oidc/token (only over HTTP: the provider needs Node's request). */
  accessToken?(app: { client_id: string; client_secret: string }): Promise<string>;
}

/** Credentials, one set per family, as the guard presents them. */
export interface Credentials {
  /** Tenant A's key with every scope. */
  owner: string;
  /** Tenant B's key with every scope: the "wrong tenant". */
  foreign: string;
  /** Revoked, or no longer valid for another reason (tenant deleted, directory deleted). */
  revoked: Record<string, string>;
}

/** Tenant A's keys that lack a surface's scopes. */
export interface ScopelessKeys {
  /** Every `authz:*` scope, neither `admin` nor `audit:read`. */
  withoutAdmin: string;
  /** `admin` and `audit:read`, no `authz:*` scope. */
  withoutAuthz: string;
  /** Keys with every scope of the spare tenants V and W, which platform-only routes act on. */
  spare: { tenant: string; store: string };
}

/**
 * Tenant A holds one of everything a route can name (connection, app, domain, keys, SCIM
 * directory with users, groups and a group mapping, an authz store with its model and a tuple),
 * plus a spare ("victim") of each thing a DELETE route removes, so the owner's positive control
 * can delete without taking the fixture away from the routes after it. Tenant B is the wrong
 * tenant; V and W are tenants the lifecycle routes and DELETE /stores may destroy.
 */
export interface Fixture {
  a: { id: string; slug: string; store: string };
  b: { id: string; store: string; directory: string };
  /** Path parameter values by name; a route may override some (see GuardedRoute.params). */
  params: Record<string, string>;
  victims: { tenant: string; storeTenant: string; store: string; key: string; app: string; connection: string; domain: string; directory: string; scimToken: string; user: string; group: string };
  user: { id: string };
  group: { id: string; displayName: string };
  model: { id: string; body: { schema_version: string; type_definitions: unknown[]; conditions?: unknown } };
  api: Credentials & ScopelessKeys;
  scim: Credentials & { otherDirectory: string };
  /** A credential of the other family (an API key at SCIM, a SCIM token at the API). */
  crossFamily: { api: string; scim: string };
  /** Client-credentials access tokens (when the client can mint them): A's app, B's app, and A's app since deleted. */
  tokens?: { owner: string; foreign: string; deletedApp: string };
}

const ALL_SCOPES = [...SCOPES];

export async function buildFixture(h: GuardClient): Promise<Fixture> {
  const ok = async (method: string, path: string, body?: unknown, key?: string) => {
    const r = await h.json(method, path, { body, key });
    if (r.status >= 300) throw new Error(`route guard fixture: ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const tenant = (name: string) => ok('POST', '/admin/v1/tenants', { name });
  const key = (tenantId: string, scopes = ALL_SCOPES) => ok('POST', `/admin/v1/tenants/${tenantId}/api-keys`, { name: 'guard', scopes });
  const idp = new TestSamlIdp();

  const [a, b, v, w, gone] = [await tenant('Guard A'), await tenant('Guard B'), await tenant('Guard V'), await tenant('Guard W'), await tenant('Guard Gone')];
  const t = `/admin/v1/tenants/${a.id}`;
  const owner = await key(a.id);
  const foreign = await key(b.id);
  const victimKey = await key(a.id, ['authz:read']);
  const withoutAdmin = await key(a.id, ['authz:read', 'authz:write', 'authz:model']);
  const withoutAuthz = await key(a.id, ['admin', 'audit:read']);
  const spare = { tenant: (await key(v.id)).key as string, store: (await key(w.id)).key as string };
  const revokedKey = await key(a.id);
  await ok('DELETE', `${t}/api-keys/${revokedKey.id}`);
  const goneKey = await key(gone.id);
  await ok('DELETE', `/admin/v1/tenants/${gone.id}`);
  const platform = h.services.apiKeys.createPlatformKey({ name: 'guard revoked platform key' }, systemActor());
  h.services.apiKeys.revokeAny(platform.apiKey.id, systemActor());

  const connection = await ok('POST', `${t}/connections`, { name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } });
  const victimConnection = await ok('POST', `${t}/connections`, { name: 'Spare', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } });
  const app = await ok('POST', `${t}/apps`, { name: 'backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write', 'authz:model'] });
  const victimApp = await ok('POST', `${t}/apps`, { name: 'spare', grant_types: ['client_credentials'] });
  const domain = await ok('POST', `${t}/domains`, { domain: 'guard-a.test' });
  const victimDomain = await ok('POST', `${t}/domains`, { domain: 'spare.guard-a.test' });
  // Verified already, so the owner's POST …/verify answers without a DNS lookup.
  h.services.storage.sql.prepare('UPDATE sso_domains SET verified_at = ? WHERE id = ?').run('2026-06-01T12:00:00.000Z', domain.id);

  const directory = await ok('POST', `${t}/scim/directories`, { name: 'Okta' });
  const victimDirectory = await ok('POST', `${t}/scim/directories`, { name: 'Spare' });
  const token = async (tenantId: string, dir: string) => ok('POST', `/admin/v1/tenants/${tenantId}/scim/directories/${dir}/tokens`, { name: 'guard' });
  const scimToken = await token(a.id, directory.id);
  const victimScimToken = await token(a.id, directory.id);
  const revokedScimToken = await token(a.id, directory.id);
  await ok('DELETE', `${t}/scim/directories/${directory.id}/tokens/${revokedScimToken.id}`);
  const otherDirectoryToken = await token(a.id, victimDirectory.id);
  const deletedDirectory = await ok('POST', `${t}/scim/directories`, { name: 'Deleted' });
  const deletedDirectoryToken = await token(a.id, deletedDirectory.id);
  await ok('DELETE', `${t}/scim/directories/${deletedDirectory.id}`);
  const bDirectory = await ok('POST', `/admin/v1/tenants/${b.id}/scim/directories`, { name: 'B' });
  const bScimToken = await token(b.id, bDirectory.id);

  const scim = (method: string, path: string, body: unknown) => ok(method, `/scim/v2/${directory.id}${path}`, body, scimToken.token);
  const user = await scim('POST', '/Users', { userName: 'ada@guard-a.test', externalId: 'ada', active: true });
  const victimUser = await scim('POST', '/Users', { userName: 'spare@guard-a.test', externalId: 'spare' });
  const group = await scim('POST', '/Groups', { displayName: 'Engineering', members: [{ value: user.id }] });
  const victimGroup = await scim('POST', '/Groups', { displayName: 'Spare' });
  const mapping = await ok('POST', `${t}/scim/group-mappings`, { group_id: group.id, relation: 'member' });

  let tokens: Fixture['tokens'];
  if (h.accessToken) {
    const bApp = await ok('POST', `/admin/v1/tenants/${b.id}/apps`, { name: 'b backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write', 'authz:model'] });
    const doomed = await ok('POST', `${t}/apps`, { name: 'doomed', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write', 'authz:model'] });
    tokens = { owner: await h.accessToken(app), foreign: await h.accessToken(bApp), deletedApp: await h.accessToken(doomed) };
    await ok('DELETE', `${t}/apps/${doomed.id}`);
  }

  const models = await ok('GET', `/stores/${a.authz_store_id}/authorization-models`);
  const model = models.authorization_models[0] as { id: string; schema_version: string; type_definitions: unknown[]; conditions?: unknown };
  await ok('POST', `/stores/${a.authz_store_id}/write`, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'member', object: `organization:${a.id}` }] } });

  return {
    a: { id: a.id, slug: a.slug, store: a.authz_store_id },
    b: { id: b.id, store: b.authz_store_id, directory: bDirectory.id },
    params: {
      tenant: a.id,
      key_id: victimKey.id,
      app_id: app.id,
      connection_id: connection.id,
      domain_id: domain.id,
      directory: directory.id,
      token_id: victimScimToken.id,
      mapping_id: mapping.id,
      which: 'previous',
      store_id: a.authz_store_id,
      authorization_model_id: model.id,
    },
    victims: {
      tenant: v.id,
      storeTenant: w.id,
      store: w.authz_store_id,
      key: victimKey.id,
      app: victimApp.id,
      connection: victimConnection.id,
      domain: victimDomain.id,
      directory: victimDirectory.id,
      scimToken: victimScimToken.id,
      user: victimUser.id,
      group: victimGroup.id,
    },
    user: { id: user.id },
    group: { id: group.id, displayName: 'Engineering' },
    model: { id: model.id, body: { schema_version: model.schema_version, type_definitions: model.type_definitions, conditions: model.conditions } },
    api: {
      owner: owner.key,
      foreign: foreign.key,
      withoutAdmin: withoutAdmin.key,
      withoutAuthz: withoutAuthz.key,
      spare, revoked: { 'revoked tenant key': revokedKey.key, 'revoked platform key': platform.key, "deleted tenant's key": goneKey.key },
    },
    scim: {
      owner: scimToken.token,
      foreign: bScimToken.token,
      otherDirectory: otherDirectoryToken.token,
      revoked: { 'revoked SCIM token': revokedScimToken.token, "deleted directory's token": deletedDirectoryToken.token },
    },
    crossFamily: { api: scimToken.token, scim: owner.key },
    ...(tokens ? { tokens } : {}),
  };
}

/** The ids of tenant A's own things (not the tenant, store or spare tenants): what another tenant must never reach. */
export function ownedIds(f: Fixture): string[] {
  const { tenant: _t, storeTenant: _s, store: _st, ...things } = f.victims;
  const { tenant: _a, store_id: _as, which: _w, ...named } = f.params;
  return [...new Set([...Object.values(named), ...Object.values(things), f.user.id, f.group.id, f.model.id])];
}

/** A well-formed id that names nothing: the same prefix and length, another tail. */
export const missingId = (id: string): string => `${id.slice(0, -4)}${id.endsWith('ZZZZ') ? 'YYYY' : 'ZZZZ'}`;
