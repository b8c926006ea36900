import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { Storage } from './storage/storage.ts';
import { createLogger, flushLogs } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import type { ReadinessCheck } from './observability/health.ts';
import { AuditService } from './audit/service.ts';
import { TenantService } from './tenants/service.ts';
import { ApiKeyService } from './apikeys/service.ts';
import { TokenBucketLimiter } from './http/rate-limiter.ts';
import { Deprovisioner } from './directory/deprovisioning.ts';
import { DirectoryService } from './directory/service.ts';
import { buildSso, type Sso, type SsoOptions } from './sso/compose.ts';
import { registerMetadataGauge } from './sso/metadata-gauge.ts';
import { SecretBox, loadKeyEncryptionKey } from './oidc/keys/key-encryption.ts';
import { buildScimServices, type ScimServices } from './directory/compose.ts';
import { buildAuthz, checkAuthzConfig } from './authz/backend.ts';
import type { AuditedAuthzEngine } from './authz/wrappers/audited.ts';
import type { StagedTupleWriter } from './authz/staged-writer.ts';
import type { AssertionStore } from './authz/assertions.ts';
import type { StorePurges } from './authz/purge/service.ts';
import { ReportedCost, type RequestCostMeter } from './http/request-cost.ts';
import { buildSignInBudgets, type SignInBudgets } from './oidc/sign-in-budget.ts';

export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  storage: Storage;
  audit: AuditService;
  tenants: TenantService;
  apiKeys: ApiKeyService;
  limiter: TokenBucketLimiter;
  /** Per-client-address budgets of handler time on the sign-in surfaces (`/sso`, `/oidc`); separate from `limiter`. */
  signInBudgets: SignInBudgets;
  /** Revokers (sessions, tokens, tuples) that SCIM deprovisioning runs; domains register into it. */
  deprovisioner: Deprovisioner;
  /** The tenant directory: lookups and just-in-time users for SSO (implements DirectoryLookup). */
  directory: DirectoryService;
  /** SSO federation, the OpenID Provider, apps, sessions (src/sso/compose.ts). */
  sso: Sso;
  /** Maps a client-credentials access token to a tenant principal (for the authorization API). */
  oidcTokenAuthenticator: Sso['tokenAuthenticator'];
  /** SCIM directories and tokens, the /Users and /Groups resource types, group→role mappings. */
  scim: ScimServices;
  /** The authorization engine (embedded or OpenFGA, per PORTCULLIS_AUTHZ), metered and audited. */
  authz: AuditedAuthzEngine;
  /** Tuple side effects of other domains' writes (SCIM group membership sync, SSO group mapping). */
  authzWriter: StagedTupleWriter;
  /** Authorization model assertions (OpenFGA's Read/WriteAssertions). */
  authzAssertions: AssertionStore;
  /** Deleted tenants' authorization stores, purged by the housekeeping. */
  authzStorePurges: StorePurges;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  logDestination?: DestinationStream;
  /** Apply pending migrations on open (serve does; other commands refuse a stale schema). */
  migrate?: boolean;
  defaultMetrics?: boolean;
  /** SSO seams: DNS TXT resolver, SAML metadata fetcher, upstream OIDC fetch. */
  sso?: SsoOptions;
  /** What a sign-in request costs its address's budget (default: what its route reports, see ReportedCost). */
  requestCostMeter?: RequestCostMeter;
}

/** The composition root: every long-lived object is made here, once, and nowhere else. */
/** How long before an IdP certificate expires /metrics counts its connection as `expiring`. */
const IDP_CERTIFICATE_WARNING_MS = 30 * 86_400_000;

export function buildServices(config: Config, options: BuildOptions = {}): Services {
  checkAuthzConfig(config);
  const clock = options.clock ?? systemClock;
  const logger = createLogger(config.logLevel, options.logDestination);
  const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? false });
  const storage = Storage.open(config.dataDir, {
    migrateNow: options.migrate ?? true,
    migration: { lockTimeoutMs: config.migrationLockTimeoutMs, onLockWait: migrationLockNotice(logger, config.dataDir) },
  });
  const audit = new AuditService(storage, clock, (e) => metrics.auditEvents.inc({ action: e.action }));
  // The key-encryption key seals SSO secrets and, through a derived key, authz continuation tokens.
  const box = new SecretBox(loadKeyEncryptionKey(config.dataDir, config.oidcKeyEncryptionKey));
  const authz = buildAuthz(config, { storage, audit, metrics, clock, logger, continuationKey: Buffer.from(box.derive('authz-continuation-tokens'), 'base64url') });
  const tenants = new TenantService(storage, audit, clock, authz.provisioner);
  const deprovisioner = new Deprovisioner();
  deprovisioner.register(authz.revoker);
  const apiKeys = new ApiKeyService(storage, audit, clock);
  const limiter = new TokenBucketLimiter(config.rateLimitBurst, config.rateLimitPerSecond);
  const signInBudgets = buildSignInBudgets(config, clock, options.requestCostMeter ?? new ReportedCost());
  const scim = buildScimServices({ storage, audit, clock, deprovisioner, baseUrl: config.baseUrl, tupleWriter: () => authz.writer });

  metrics.gauge('portcullis_tenants', 'Tenants by status.', ['status'], (set) => {
    const rows = storage.sql
      .prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM tenants GROUP BY status')
      .all();
    for (const r of rows) set({ status: r.status }, r.n);
  });

  const directory = new DirectoryService(storage, audit, clock);
  const sso = buildSso(
    { config, clock, logger, storage, audit, box, deprovisioner, directory: () => directory, authzWriter: () => authz.writer },
    options.sso,
  );
  scim.directories.boundConnections = (tenantId, directoryId) => sso.connections.repo(tenantId).boundTo(directoryId);

  metrics.gauge(
    'portcullis_sso_saml_connections',
    'Active SAML connections by the expiry of their newest IdP certificate: valid, expiring (within 30 days) or expired.',
    ['idp_certificate'],
    (set) => {
      const now = clock.now();
      const health = sso.connections.lookup.idpCertificateHealth(now.toISOString(), new Date(now.getTime() + IDP_CERTIFICATE_WARNING_MS).toISOString());
      for (const [state, n] of Object.entries(health)) set({ idp_certificate: state }, n);
    },
  );
  registerMetadataGauge(metrics, sso.connections.lookup, clock);

  return {
    config,
    clock,
    logger,
    metrics,
    storage,
    audit,
    tenants,
    apiKeys,
    limiter,
    signInBudgets,
    deprovisioner,
    directory,
    sso,
    oidcTokenAuthenticator: sso.tokenAuthenticator,
    scim,
    authz: authz.engine,
    authzWriter: authz.writer,
    authzAssertions: authz.assertions,
    authzStorePurges: authz.storePurges,
    readiness: [{ name: 'database', check: () => storage.ready() }, ...authz.readiness],
    async close() {
      // Logout tokens still going out after their request returned need the database, and so do
      // tuple changes on their way to a remote OpenFGA server (then their stores' leases are released).
      await Promise.all([sso.provider.drain(config.shutdownTimeoutMs), authz.close(config.shutdownTimeoutMs)]);
      storage.close();
      await flushLogs(logger);
    },
  };
}

/** Logged (and written out at once: the wait blocks the process) while another process migrates. */
function migrationLockNotice(logger: Logger, dataDir: string): (waitedMs: number) => void {
  return (waitedMs) => {
    logger.warn({ data_dir: dataDir, waited_ms: waitedMs }, 'waiting for the database write lock: another process holds it (a migration in progress?)');
    logger.flush();
  };
}
