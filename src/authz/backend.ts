import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { AuditService } from '../audit/service.ts';
import type { UserRevoker } from '../directory/deprovisioning.ts';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { ReadinessCheck } from '../observability/health.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Storage } from '../storage/storage.ts';
import type { StoreProvisioner } from '../tenants/service.ts';
import { OpenFgaAssertionStore, SqliteAssertionStore, type AssertionStore } from './assertions.ts';
import { DEFAULT_MODEL_PATH, loadModelFile } from './default-model.ts';
import { authzTuplesRevoker } from './deprovisioning.ts';
import type { AuthzEngine } from './engine.ts';
import { OpenFgaEngine } from './openfga/engine.ts';
import { OpenFgaStagedTupleWriter } from './openfga/staged-writer.ts';
import { PendingTupleQueue } from './openfga/pending-queue.ts';
import { engineStoreProvisioner } from './provisioner.ts';
import { embeddedStoreRemover, openFgaStoreRemover, type StoreRemover } from './purge/removers.ts';
import { StorePurges } from './purge/service.ts';
import type { StagedTupleWriter } from './staged-writer.ts';
import { AuditedStagedTupleWriter } from './wrappers/audited-writer.ts';
import { AuditedAuthzEngine, type TransactionalWrites } from './wrappers/audited.ts';
import { EmbeddedAuthzEngine } from './embedded/engine.ts';
import { EmbeddedStagedTupleWriter } from './embedded/staged-writer.ts';
import { MeteredAuthzEngine } from './wrappers/metered.ts';

export interface AuthzDeps {
  storage: Storage;
  audit: AuditService;
  metrics: Metrics;
  clock: Clock;
  /** Where the OpenFGA backend's queue of pending tuple work reports failures (store id, code). */
  logger?: Logger;
  /** The key that seals the embedded engine's continuation tokens (derived from the KEK). */
  continuationKey?: Buffer;
}

/** Everything the rest of the service gets from the authorization domain. */
export interface Authz {
  /** The engine, metered and audited; `engine.as(actor)` attributes writes to a request. */
  engine: AuditedAuthzEngine;
  /** Tuple side effects of directory changes (SCIM membership sync, deprovisioning). */
  writer: StagedTupleWriter;
  /** Tenant creation's store step (store + default model). */
  provisioner: StoreProvisioner;
  /** The `authz_tuples` deprovisioning revoker. */
  revoker: UserRevoker;
  /** Deleted tenants' stores, purged by the housekeeping (`runPass`). */
  storePurges: StorePurges;
  /** Model assertions (OpenFGA's Read/WriteAssertions). */
  assertions: AssertionStore;
  readiness: ReadinessCheck[];
  /** For a shutdown, before the database closes: stops the OpenFGA queue's drains and releases their leases (waits at most `timeoutMs`). */
  close(timeoutMs: number): Promise<void>;
}

interface Backend {
  engine: AuthzEngine;
  /** Audits its own changes (the OpenFGA queue) unless `auditInTransaction` (then wrapped). */
  writer: StagedTupleWriter;
  auditInTransaction: boolean;
  /** Present when writes can join Portcullis' own transactions (then audited in the same one). */
  transactional?: TransactionalWrites;
  assertions: AssertionStore;
  readiness: ReadinessCheck[];
  /** How a deleted tenant's store is removed. */
  remover: StoreRemover;
  close?(timeoutMs: number): Promise<void>;
}

/** Builds the configured backend (`PORTCULLIS_AUTHZ`) behind the engine interface, with its decorators. */
export function buildAuthz(config: Config, deps: AuthzDeps): Authz {
  const backend = config.authz === 'openfga' ? openFgaBackend(config, deps) : embeddedBackend(config, deps);
  const metered = new MeteredAuthzEngine(backend.engine, deps.metrics);
  const transactional = backend.transactional && { writes: backend.transactional, time: <T>(op: string, run: () => T) => metered.timeSync(op, run) };
  const engine = new AuditedAuthzEngine(metered, deps, transactional);
  const writer = backend.auditInTransaction ? new AuditedStagedTupleWriter(backend.writer, deps) : backend.writer;
  let defaultModel: ReturnType<typeof loadModelFile> | undefined;
  const storePurges = new StorePurges(deps, backend.remover, config.authzPurgeBatchesPerPass);
  return {
    engine,
    writer,
    provisioner: engineStoreProvisioner({ engine: metered, transactional, audit: deps.audit, purges: storePurges }, () => (defaultModel ??= loadModelFile(DEFAULT_MODEL_PATH))),
    storePurges,
    revoker: authzTuplesRevoker(deps.storage, writer),
    assertions: backend.assertions,
    readiness: backend.readiness,
    close: async (timeoutMs) => backend.close?.(timeoutMs),
  };
}

/** Boot-time checks across settings (call before opening anything). */
export function checkAuthzConfig(config: Config): void {
  if (config.authz === 'openfga' && !config.openfgaUrl) {
    throw new ConfigError('PORTCULLIS_OPENFGA_URL', 'is required when PORTCULLIS_AUTHZ=openfga');
  }
}

function openFgaBackend(config: Config, deps: AuthzDeps): Backend {
  checkAuthzConfig(config);
  const engine = new OpenFgaEngine({
    connection: { url: config.openfgaUrl as string, token: config.openfgaToken },
    clock: deps.clock,
    limits: { deadlineMs: config.openfgaListDeadlineMs, listUsersMaxResults: config.openfgaListUsersMaxResults },
    consistencyWindowMs: config.openfgaConsistencyWindowMs,
    ...(deps.continuationKey ? { continuationKey: deps.continuationKey } : {}),
  });
  const queue = new PendingTupleQueue(engine, deps);
  return {
    engine,
    writer: new OpenFgaStagedTupleWriter(queue),
    auditInTransaction: false,
    assertions: new OpenFgaAssertionStore(engine.api),
    readiness: [{ name: 'openfga', check: () => engine.ready() }],
    remover: openFgaStoreRemover(deps.storage, engine),
    close: (timeoutMs) => queue.close(timeoutMs),
  };
}

function embeddedBackend(config: Config, deps: AuthzDeps): Backend {
  const engine = new EmbeddedAuthzEngine(deps.storage, deps.clock, {
    maxConditionCost: config.authzMaxConditionCost,
    decisionCacheSize: config.authzDecisionCacheSize,
    ...(deps.continuationKey ? { continuationKey: deps.continuationKey } : {}),
  });
  return {
    engine,
    writer: new EmbeddedStagedTupleWriter(engine),
    auditInTransaction: true,
    transactional: engine,
    assertions: new SqliteAssertionStore(deps.storage.sql, engine),
    readiness: [],
    remover: embeddedStoreRemover(deps.storage, { batchSize: config.authzPurgeBatchSize, batchesPerPass: config.authzPurgeBatchesPerPass }),
  };
}
