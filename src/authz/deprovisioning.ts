import { stagedDone } from '../lib/staged.ts';
import type { UserRevoker } from '../directory/deprovisioning.ts';
import type { Storage } from '../storage/storage.ts';
import type { StagedTupleWriter } from './staged-writer.ts';

/**
 * The `authz_tuples` revoker: a deprovisioned directory user loses every tuple whose user is
 * `user:<id>` in the tenant's store (DESIGN invariant 5). Embedded: deleted in the SCIM
 * transaction; OpenFGA backend: deleted in `flush`, before SCIM answers. Audited as the
 * deprovisioning request's actor (the SCIM token), else the system's.
 */
export function authzTuplesRevoker(storage: Storage, writer: StagedTupleWriter): UserRevoker {
  return {
    name: 'authz_tuples',
    revoke(target) {
      const tenant = storage.unscoped.tenants.findById(target.tenantId);
      if (!tenant) return stagedDone(0);
      return writer.stageDeleteTuplesForUser(tenant.authz_store_id, `user:${target.userId}`, target.actor);
    },
  };
}
