import type { Storage } from '../../storage/storage.ts';
import { etagOfVersion } from '../etag.ts';
import type { GroupRecord } from '../group.ts';
import type { GroupWrites } from '../group-writes.ts';
import { isObject } from './doc.ts';
import { resourceNotFound } from './errors.ts';
import { filterToSql } from './filter/to-sql.ts';
import { sortExpression } from './filter/sort.ts';
import { groupFromDoc, groupResource, groupToDoc } from './group-mapper.ts';
import { normaliseResource } from './input.ts';
import { parseListQuery, type RawListQuery } from './list-query.ts';
import { applyPatch } from './patch/apply.ts';
import { parsePatchRequest, type PatchOperation } from './patch/request.ts';
import { parseProjection, project, wantsAttribute, type Projection } from './projection.ts';
import type { ScimRequest, ScimResult } from './request.ts';
import { GROUP_RESOURCE } from './schema/registry.ts';
import { GROUP_SCHEMA, LIST_RESPONSE } from './schema/urns.ts';
import type { ProjectionQuery } from './users.ts';

/** The /Groups resource type. Members are loaded only when the response or the change needs them. */
export class ScimGroups {
  constructor(
    private readonly storage: Storage,
    private readonly groups: GroupWrites,
  ) {}

  get(req: ScimRequest, id: string, q: ProjectionQuery): ScimResult {
    return this.#result(req, this.#find(req, id), 200, parseProjection(GROUP_RESOURCE, q.attributes, q.excludedAttributes));
  }

  list(req: ScimRequest, raw: RawListQuery): ScimResult {
    const q = parseListQuery(raw, GROUP_RESOURCE, req.normalisations);
    const repo = this.storage.forTenant(req.ctx.tenantId).directoryGroups;
    const where = q.filter ? filterToSql(q.filter, GROUP_RESOURCE, req.ctx.tenantId) : undefined;
    const orderBy = q.sortBy ? { sql: sortExpression(q.sortBy, GROUP_RESOURCE), descending: q.descending } : undefined;
    const total = repo.count({ directoryId: req.ctx.directoryId, where });
    const page = q.count === 0 ? [] : repo.list({ directoryId: req.ctx.directoryId, where, orderBy, offset: q.startIndex - 1, limit: q.count });
    const withMembers = wantsAttribute(q.projection, GROUP_SCHEMA, 'members');
    return {
      status: 200,
      body: {
        schemas: [LIST_RESPONSE],
        totalResults: total,
        startIndex: q.startIndex,
        itemsPerPage: page.length,
        Resources: page.map((g) => project(groupResource(g, withMembers ? repo.members(g.id) : undefined, req.baseUrl), GROUP_RESOURCE, q.projection)),
      },
    };
  }

  async create(req: ScimRequest, body: unknown, q: ProjectionQuery): Promise<ScimResult> {
    const { fields, memberIds } = groupFromDoc(normaliseResource(body, GROUP_RESOURCE, req.normalisations));
    const staged = this.groups.create(req.ctx, fields, memberIds);
    await staged.flush();
    return this.#result(req, staged.staged, 201, parseProjection(GROUP_RESOURCE, q.attributes, q.excludedAttributes));
  }

  async replace(req: ScimRequest, id: string, body: unknown, ifMatch: string | undefined, q: ProjectionQuery): Promise<ScimResult> {
    this.#find(req, id);
    const { fields, memberIds } = groupFromDoc(normaliseResource(body, GROUP_RESOURCE, req.normalisations));
    const staged = this.groups.replace(req.ctx, id, fields, memberIds, ifMatch);
    await staged.flush();
    return this.#result(req, staged.staged, 200, parseProjection(GROUP_RESOURCE, q.attributes, q.excludedAttributes));
  }

  /** 204 (what Entra expects) unless the request asks for attributes back. */
  async patch(req: ScimRequest, id: string, body: unknown, ifMatch: string | undefined, q: ProjectionQuery): Promise<ScimResult> {
    const ops = parsePatchRequest(body, GROUP_RESOURCE, req.normalisations);
    const staged = this.storage.transaction(() => {
      const current = this.#find(req, id);
      const members = touchesMembers(ops) ? this.storage.forTenant(req.ctx.tenantId).directoryGroups.members(id) : undefined;
      const doc = applyPatch(groupToDoc(current, members), ops, GROUP_RESOURCE, req.normalisations, id);
      const { fields, memberIds } = groupFromDoc(doc);
      return this.groups.replace(req.ctx, id, fields, members ? memberIds : undefined, ifMatch);
    });
    await staged.flush();
    if (q.attributes === undefined && q.excludedAttributes === undefined) return { status: 204, etag: etagOfVersion(staged.staged.version) };
    return this.#result(req, staged.staged, 200, parseProjection(GROUP_RESOURCE, q.attributes, q.excludedAttributes));
  }

  async delete(req: ScimRequest, id: string, ifMatch: string | undefined): Promise<ScimResult> {
    this.#find(req, id);
    await this.groups.delete(req.ctx, id, ifMatch).flush();
    return { status: 204 };
  }

  #find(req: ScimRequest, id: string): GroupRecord {
    const group = this.storage.forTenant(req.ctx.tenantId).directoryGroups.find(id);
    if (!group || group.directory_id !== req.ctx.directoryId) throw resourceNotFound('Group', id);
    return group;
  }

  #result(req: ScimRequest, group: GroupRecord, status: number, projection: Projection): ScimResult {
    const members = wantsAttribute(projection, GROUP_SCHEMA, 'members') ? this.storage.forTenant(req.ctx.tenantId).directoryGroups.members(group.id) : undefined;
    return {
      status,
      body: project(groupResource(group, members, req.baseUrl), GROUP_RESOURCE, projection),
      etag: etagOfVersion(group.version),
      location: `${req.baseUrl}/Groups/${group.id}`,
    };
  }
}

function touchesMembers(ops: readonly PatchOperation[]): boolean {
  return ops.some((o) =>
    o.path
      ? o.path.kind === 'attribute' && o.path.target.attr.name === 'members'
      : isObject(o.value) && Object.keys(o.value).some((k) => k.toLowerCase() === 'members'),
  );
}
