import type { WriteAuthorizationModelRequest } from '@openfga/sdk';
import type { StoreProvisioner } from '../tenants/service.ts';
import type { AuthzEngine } from './engine.ts';

/**
 * Tenant creation's store step: a new store on the engine (on the OpenFGA server for that
 * backend) with the default model written, so a tenant can be queried from its first second.
 */
export function engineStoreProvisioner(engine: AuthzEngine, defaultModel: () => WriteAuthorizationModelRequest): StoreProvisioner {
  return {
    async createStore(tenantName) {
      const store = await engine.createStore(tenantName);
      try {
        await engine.writeAuthorizationModel(store.id, defaultModel());
      } catch (err) {
        await engine.deleteStore(store.id).catch(() => {});
        throw err;
      }
      return store.id;
    },
    deleteStore: (storeId) => engine.deleteStore(storeId),
  };
}
