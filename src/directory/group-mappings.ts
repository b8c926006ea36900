import type { Clock } from '../lib/clock.ts';
import { ulid } from '../lib/ids.ts';
import { decodeCursor, toPage, type Page } from '../lib/pagination.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import type { Actor } from '../audit/events.ts';
import type { Staged } from '../lib/staged.ts';
import { DirectoryTuples, mappingTuple, withPending } from './authz-tuples.ts';
import type { GroupRoleMapping } from './group.ts';

const RELATION = /^[a-z_][a-z0-9_-]{0,49}$/;

/**
 * An admin maps an IdP group to a relation on the tenant's organization ("Finance Reviewers"
 * → viewer). The mapping is one tuple, (group:G#member, R, organization:<tenant>), so it follows
 * every membership change by itself: whoever is a member of G has R.
 */
export class GroupMappings {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly tuples: DirectoryTuples,
  ) {}

  create(tenantId: string, storeId: string, input: { group_id: string; relation: string }, actor: Actor): Staged<GroupRoleMapping> {
    if (!RELATION.test(input.relation)) throw badRequest('invalid_relation', 'A relation is 1-50 lowercase letters, digits, _ or -.');
    const groups = this.storage.forTenant(tenantId).directoryGroups;
    return this.storage.transaction(() => {
      if (!groups.find(input.group_id)) throw notFound('group');
      if (groups.findMappingFor(input.group_id, input.relation)) {
        throw conflict('mapping_exists', `Group ${input.group_id} is already mapped to '${input.relation}'.`);
      }
      const now = this.clock.now();
      const mapping = { id: ulid(now.getTime()), group_id: input.group_id, relation: input.relation, created_at: now.toISOString(), created_by: actor.credential_id ?? actor.type };
      groups.insertMapping(mapping);
      const written = this.tuples.write(storeId, [mappingTuple(tenantId, input.group_id, input.relation)], actor);
      this.audit.record(
        tenantId,
        { action: 'directory.group_mapping.created', target: { type: 'group_mapping', id: mapping.id }, after: { group_id: input.group_id, relation: input.relation }, metadata: { tuples_written: written.staged } },
        actor,
      );
      return withPending(groups.findMapping(mapping.id) as GroupRoleMapping, [written]);
    });
  }

  list(tenantId: string, cursor: string | undefined, limit: number): Page<GroupRoleMapping> {
    const rows = this.storage.forTenant(tenantId).directoryGroups.listMappings(decodeCursor(cursor), limit + 1);
    return toPage(rows, limit, (m) => m.id);
  }

  /**
   * On a remote OpenFGA server the row goes only once the tuple has: when the server cannot be
   * reached, the mapping stays (listed, still granting) and a retried DELETE finishes it, rather
   * than answering 404 while the group's members keep the relation.
   */
  delete(tenantId: string, storeId: string, id: string, actor: Actor): Staged<GroupRoleMapping> {
    const groups = this.storage.forTenant(tenantId).directoryGroups;
    return this.storage.transaction(() => {
      const mapping = groups.findMapping(id);
      if (!mapping) throw notFound('group mapping');
      const deleted = this.tuples.delete(storeId, [mappingTuple(tenantId, mapping.group_id, mapping.relation)], actor);
      if (!deleted.remote) return withPending(this.#forget(tenantId, mapping, deleted.staged, actor), [deleted]);
      return {
        staged: mapping,
        remote: true,
        flush: async () => {
          const count = await deleted.flush();
          // Gone already when a concurrent DELETE (or the group's deletion) got there first.
          this.storage.transaction(() => {
            if (groups.findMapping(id)) this.#forget(tenantId, mapping, count, actor);
          });
          return mapping;
        },
      };
    });
  }

  #forget(tenantId: string, mapping: GroupRoleMapping, tuplesDeleted: number, actor: Actor): GroupRoleMapping {
    this.storage.forTenant(tenantId).directoryGroups.deleteMapping(mapping.id);
    this.audit.record(
      tenantId,
      { action: 'directory.group_mapping.deleted', target: { type: 'group_mapping', id: mapping.id }, before: { group_id: mapping.group_id, relation: mapping.relation }, metadata: { tuples_deleted: tuplesDeleted } },
      actor,
    );
    return mapping;
  }
}
