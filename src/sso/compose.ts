import type { Logger } from 'pino';
import type { CustomFetch } from 'openid-client';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../lib/clock.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import type { DirectoryLookup } from '../directory/lookup.ts';
import type { StagedTupleWriter } from '../authz/staged-writer.ts';
import type { Deprovisioner } from '../directory/deprovisioning.ts';
import type { Authenticator } from '../http/auth.ts';
import type { SecretBox } from '../oidc/keys/key-encryption.ts';
import { SigningKeyStore } from '../oidc/keys/signing-keys.ts';
import { OidcKeyService } from '../oidc/keys/service.ts';
import { OidcModelStore } from '../oidc/adapter/model-store.ts';
import { SqliteAppLookup } from '../oidc/apps/sqlite-store.ts';
import { AppService } from '../oidc/apps/service.ts';
import { ProviderHolder } from '../oidc/provider/holder.ts';
import { oidcTokenAuthenticator } from '../oidc/token-authenticator.ts';
import { authzResource, oidcIssuer } from '../oidc/constants.ts';
import { SqliteSessionStore } from '../sessions/sqlite-store.ts';
import { SessionService } from '../sessions/service.ts';
import { sessionRevokers } from '../sessions/revokers.ts';
import { ConnectionService } from './connections/service.ts';
import { BindingSessionSweep } from './connections/binding-sweep.ts';
import { SqliteDomainStore } from './domains/store.ts';
import { DomainService, systemTxtResolver, type TxtResolver } from './domains/service.ts';
import { SsoSettingsService } from './settings.ts';
import { SamlReplayCache } from './saml/replay-cache.ts';
import { httpsMetadataFetcher, type MetadataFetcher } from './saml/metadata-fetch.ts';
import { guardedUpstreamFetch } from './oidc/guarded-fetch.ts';
import { UpstreamOidc } from './oidc/upstream.ts';
import { SqliteLoginStates } from './login/state-store.ts';
import { LoginService } from './login/service.ts';
import { HomeRealm } from './login/home-realm.ts';
import { stageUnmappedRelations } from './login/group-sync.ts';
import { adoptionRelationsRevoker } from './login/adoption-relations.ts';

/** Test and deployment seams for the SSO domain (DNS, metadata fetching, upstream HTTP). */
export interface SsoOptions {
  txtResolver?: TxtResolver;
  metadataFetcher?: MetadataFetcher;
  upstreamFetch?: CustomFetch;
  /** Let back-channel logout reach loopback apps (tests only; production keeps SSRF protection). */
  allowLoopbackBackchannel?: boolean;
  /** Let upstream OIDC IdPs on loopback be reached (tests only; production keeps SSRF protection). */
  allowLoopbackIdp?: boolean;
}

export interface SsoCore {
  config: Config;
  clock: Clock;
  logger: Logger;
  storage: Storage;
  audit: AuditService;
  /** Seals SSO secrets under the key-encryption key. */
  box: SecretBox;
  deprovisioner: Deprovisioner;
  directory: () => DirectoryLookup | undefined;
  authzWriter: () => StagedTupleWriter | undefined;
}

/** Everything SSO and the OpenID Provider consist of, built once. */
export function buildSso(core: SsoCore, options: SsoOptions = {}) {
  const { config, clock, logger, storage, audit, box } = core;
  const oidcKeys = new OidcKeyService(storage, new SigningKeyStore(storage.sql, box), audit, clock);
  const models = new OidcModelStore(storage.sql);
  const appLookup = new SqliteAppLookup(storage.sql);
  const apps = new AppService(storage, models, audit, clock);
  const sessions = new SessionService(new SqliteSessionStore(storage.sql), models, audit, clock);
  const connections = new ConnectionService(storage, audit, clock, box, options.metadataFetcher ?? httpsMetadataFetcher({ privateHosts: config.idpPrivateHosts ?? [] }), config.baseUrl, {
    refuseSha1: config.samlSha1 === 'refuse',
  });
  const domainStore = new SqliteDomainStore(storage.sql);
  const domains = new DomainService(storage, domainStore, audit, clock, options.txtResolver ?? systemTxtResolver);
  const settings = new SsoSettingsService(storage, audit, clock);
  const states = new SqliteLoginStates(storage.sql);
  const realm = new HomeRealm(storage.unscoped.tenants, domainStore);
  const replay = new SamlReplayCache(storage.sql);
  const login = new LoginService({
    storage, clock, audit, logger, box, connections, states, sessions, settings,
    apps: appLookup,
    baseUrl: config.baseUrl,
    replay,
    upstream: new UpstreamOidc(config.baseUrl, box, options.upstreamFetch ?? guardedUpstreamFetch({ privateHosts: config.idpPrivateHosts ?? [], allowLoopback: options.allowLoopbackIdp ?? false })),
    domains: domainStore,
    directory: core.directory,
    authzWriter: core.authzWriter,
  });
  const provider = new ProviderHolder(
    { storage, audit, logger, sessions, apps: appLookup, models, realm, baseUrl: config.baseUrl, box, allowLoopbackFetch: options.allowLoopbackBackchannel ?? false, privateHosts: config.backchannelPrivateHosts ?? [], tenants: storage.unscoped.tenants, directory: core.directory, domains: domainStore },
    oidcKeys,
  );
  sessions.notifier = provider;
  connections.unmapRelations = (tenantId, connectionId, relations, actor) =>
    stageUnmappedRelations({ storage, sessions, authzWriter: core.authzWriter }, tenantId, connectionId, relations, actor);
  connections.bindingSweep = new BindingSessionSweep(storage.sql, sessions, clock);
  for (const revoker of sessionRevokers(sessions)) core.deprovisioner.register(revoker);
  core.deprovisioner.register(
    adoptionRelationsRevoker({
      sessions,
      connection: (tenantId, id) => connections.repo(tenantId).find(id),
      boundTo: (tenantId, directoryId) => connections.repo(tenantId).boundTo(directoryId),
      authzStoreOf: (tenantId) => storage.unscoped.tenants.findById(tenantId)?.authz_store_id,
      authzWriter: core.authzWriter,
    }),
  );
  const tokenAuthenticator: Authenticator = oidcTokenAuthenticator({
    keys: oidcKeys,
    apps: appLookup,
    tenants: storage.unscoped.tenants,
    issuer: oidcIssuer(config.baseUrl),
    audience: authzResource(config.baseUrl),
  });
  return { box, oidcKeys, models, appLookup, apps, sessions, connections, domains, settings, states, realm, replay, login, provider, tokenAuthenticator };
}

export type Sso = ReturnType<typeof buildSso>;

