import type { AuditService } from '../audit/service.ts';
import type { StagedTupleWriter } from '../authz/staged-writer.ts';
import type { Clock } from '../lib/clock.ts';
import type { Storage } from '../storage/storage.ts';
import { DirectoryTuples } from './authz-tuples.ts';
import type { Deprovisioner } from './deprovisioning.ts';
import { GroupMappings } from './group-mappings.ts';
import { GroupWrites } from './group-writes.ts';
import { ScimDirectoryService } from './scim/directory-service.ts';
import { ScimGroups } from './scim/groups.ts';
import { ScimUsers } from './scim/users.ts';
import { UserWrites } from './user-writes.ts';

/** The directory's write side and the SCIM server over it, as services.ts exposes them. */
export interface ScimServices {
  directories: ScimDirectoryService;
  users: ScimUsers;
  groups: ScimGroups;
  mappings: GroupMappings;
}

export function buildScimServices(deps: {
  storage: Storage;
  audit: AuditService;
  clock: Clock;
  deprovisioner: Deprovisioner;
  baseUrl: string;
  /** The authz engine's writer; undefined while no engine is wired in (tuples are then not written). */
  tupleWriter: () => StagedTupleWriter | undefined;
}): ScimServices {
  const tuples = new DirectoryTuples(deps.tupleWriter);
  const directories = new ScimDirectoryService(deps.storage, deps.audit, deps.clock, deps.baseUrl);
  const isBound = (tenantId: string, directoryId: string) => directories.boundConnections(tenantId, directoryId).length > 0;
  const userWrites = new UserWrites(deps.storage, deps.audit, deps.clock, deps.deprovisioner, tuples, isBound);
  const groupWrites = new GroupWrites(deps.storage, deps.audit, deps.clock, tuples);
  return {
    directories,
    users: new ScimUsers(deps.storage, userWrites),
    groups: new ScimGroups(deps.storage, groupWrites),
    mappings: new GroupMappings(deps.storage, deps.audit, deps.clock, tuples),
  };
}
