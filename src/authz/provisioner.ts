import type { WriteAuthorizationModelRequest } from '@openfga/sdk';
import type { AuditService } from '../audit/service.ts';
import type { StoreProvisioner } from '../tenants/service.ts';
import type { AuthzEngine } from './engine.ts';
import { modelEvent, type Transactional } from './wrappers/audited.ts';
import type { StorePurges } from './purge/service.ts';

export interface ProvisionerDeps {
  /** The engine under the audit decorator: the default model's event is written here, on the tenant's chain. */
  engine: AuthzEngine;
  /** Present when model writes join Portcullis' own transactions (the embedded engine). */
  transactional?: Transactional;
  audit: AuditService;
  /** Purges a deleted tenant's store (`retireStore`). */
  purges?: StorePurges;
}

/**
 * Tenant creation's store step: a new store on the engine (on the OpenFGA server for that
 * backend) with the default model written, so a tenant can be queried from its first second.
 * The model's `authz.model.written` event goes on the new tenant's chain, attributed to whoever
 * created the tenant: the embedded engine writes the model inside the tenant's transaction; for
 * a remote server the model is written before it and the event recorded inside it.
 */
export function engineStoreProvisioner(deps: ProvisionerDeps, defaultModel: () => WriteAuthorizationModelRequest): StoreProvisioner {
  const { engine, transactional: tx, audit, purges } = deps;
  return {
    async createStore(tenantName) {
      const store = await engine.createStore(tenantName);
      const model = defaultModel();
      if (tx) {
        return {
          storeId: store.id,
          complete(tenantId, actor) {
            const written = tx.time('writeAuthorizationModel', () => tx.writes.writeAuthorizationModelSync(store.id, model));
            audit.record(tenantId, modelEvent(store.id, model, written.authorization_model_id), actor);
          },
        };
      }
      let modelId: string;
      try {
        modelId = (await engine.writeAuthorizationModel(store.id, model)).authorization_model_id;
      } catch (err) {
        await engine.deleteStore(store.id).catch(() => {});
        throw err;
      }
      return { storeId: store.id, complete: (tenantId, actor) => void audit.record(tenantId, modelEvent(store.id, model, modelId), actor) };
    },
    deleteStore: (storeId) => engine.deleteStore(storeId),
    ...(purges ? { retireStore: (tenantId: string, storeId: string) => purges.retire(tenantId, storeId) } : {}),
  };
}
