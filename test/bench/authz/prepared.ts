import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { systemActor } from '../../../src/audit/events.ts';
import type { EmbeddedAuthzEngine } from '../../../src/authz/embedded/engine.ts';
import type { DelegatingEngine } from '../../../src/authz/wrappers/delegating.ts';
import { BENCH_MODEL, type Dataset } from './dataset.ts';

/** A data dir holding the benchmark's store, and a platform key for it. */
export interface PreparedData {
  dataDir: string;
  storeId: string;
  key: string;
}

/**
 * Loads the dataset into the embedded engine of a data dir once: the store id and key are kept
 * in `bench-<scale>.json` beside the database, and a later call with the same dir reuses them
 * (the profiling scripts; the full benchmark always starts from an empty dir).
 */
export async function prepareEmbeddedData(dataDir: string, scale: number, data: Dataset): Promise<PreparedData> {
  const metaFile = join(dataDir, `bench-${scale}.json`);
  if (existsSync(metaFile)) return { dataDir, ...(JSON.parse(readFileSync(metaFile, 'utf8')) as { storeId: string; key: string }) };
  const s = buildServices(loadConfig(process.env, { dataDir, logLevel: 'silent' }));
  try {
    const tenant = await s.tenants.create({ name: 'bench' }, systemActor());
    // Below the audit decorator: a bulk load is not 50 audited API writes.
    const raw = (s.authz.inner as DelegatingEngine).inner as EmbeddedAuthzEngine;
    await raw.writeAuthorizationModel(tenant.authz_store_id, BENCH_MODEL);
    const batch = 20_000;
    for (let i = 0; i < data.tuples.length; i += batch) {
      raw.writeSync(tenant.authz_store_id, { writes: { tuple_keys: data.tuples.slice(i, i + batch) } }, batch);
    }
    const key = s.apiKeys.createPlatformKey({ name: 'bench' }, systemActor()).key;
    writeFileSync(metaFile, JSON.stringify({ storeId: tenant.authz_store_id, key }));
    return { dataDir, storeId: tenant.authz_store_id, key };
  } finally {
    await s.close();
  }
}
