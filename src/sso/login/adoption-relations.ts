import { systemActor } from '../../audit/events.ts';
import type { UserRevoker } from '../../directory/deprovisioning.ts';
import { stagedDone } from '../../lib/staged.ts';
import type { StagedTupleWriter } from '../../authz/staged-writer.ts';
import type { SessionService } from '../../sessions/service.ts';
import type { Connection } from '../connections/connection.ts';
import { organizationObject } from './group-sync.ts';

export interface AdoptionRelationsDeps {
  sessions: Pick<SessionService, 'connectionsOfUser'>;
  /** The tenant's live connection (undefined once deleted: its relations went with it). */
  connection: (tenantId: string, connectionId: string) => Connection | undefined;
  /** The connections bound to a SCIM directory. */
  boundTo: (tenantId: string, directoryId: string) => { id: string }[];
  authzStoreOf: (tenantId: string) => string | undefined;
  authzWriter: () => StagedTupleWriter | undefined;
}

/**
 * When SCIM adopts a just-in-time user into a directory a connection is bound to, the relations
 * other connections' group mappings granted it go (`mapped_relations`, reason `scim_adopted`
 * only): those connections no longer speak for this person, and a sign-in through the bound
 * connection re-derives only the relations its own mappings name. Other tuples stay (an app may
 * have written them for this user id). A relation a mapping names belongs to the mapping, as when
 * a mapping is removed: a tuple with the same relation written otherwise goes too.
 */
export function adoptionRelationsRevoker(deps: AdoptionRelationsDeps): UserRevoker {
  return {
    name: 'mapped_relations',
    reasons: ['scim_adopted'],
    revoke(target) {
      const writer = deps.authzWriter();
      const storeId = deps.authzStoreOf(target.tenantId);
      if (!writer || !storeId) return stagedDone(0);
      const bound = new Set(target.directoryId ? deps.boundTo(target.tenantId, target.directoryId).map((c) => c.id) : []);
      const relations = new Set<string>();
      for (const id of deps.sessions.connectionsOfUser(target.tenantId, target.userId)) {
        if (bound.has(id)) continue;
        for (const m of deps.connection(target.tenantId, id)?.group_mappings ?? []) relations.add(m.relation);
      }
      if (relations.size === 0) return stagedDone(0);
      const user = `user:${target.userId}`;
      const object = organizationObject(target.tenantId);
      const actor = target.actor ?? { ...systemActor(), id: `deprovisioning:${target.reason}` };
      return writer.stage(storeId, { deletes: [...relations].sort().map((relation) => ({ user, relation, object })) }, actor);
    },
  };
}
