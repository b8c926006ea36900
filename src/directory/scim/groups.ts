import type { Storage } from '../../storage/storage.ts';
import { etagOfVersion } from '../etag.ts';
import type { GroupRecord } from '../group.ts';
import type { GroupWrites } from '../group-writes.ts';
import { isObject, type ScimObject } from './doc.ts';
import { resourceNotFound } from './errors.ts';
import { groupFromDoc, groupResource, groupToDoc } from './group-mapper.ts';
import { normaliseResource } from './input.ts';
import { checkLimits, checkMembersPerRequest } from './limit-check.ts';
import { listResources, type RawListQuery } from './list-query.ts';
import { applyPatch } from './patch/apply.ts';
import { parsePatchRequest, type PatchOperation } from './patch/request.ts';
import { parseProjection, project, wantsAttribute, type Projection } from './projection.ts';
import type { ScimRequest, ScimResult } from './request.ts';
import { GROUP_RESOURCE, resolveAttribute } from './schema/registry.ts';
import { GROUP_SCHEMA } from './schema/urns.ts';
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
    const repo = this.storage.forTenant(req.ctx.tenantId).directoryGroups;
    return listResources(req, raw, GROUP_RESOURCE, repo, (page, projection) => {
      const withMembers = wantsAttribute(projection, GROUP_SCHEMA, 'members');
      return page.map((g) => project(groupResource(g, withMembers ? repo.members(g.id) : undefined, req.baseUrl), GROUP_RESOURCE, projection));
    });
  }

  async create(req: ScimRequest, body: unknown, q: ProjectionQuery): Promise<ScimResult> {
    const { fields, memberIds } = groupFromDoc(checkedGroup(normaliseResource(body, GROUP_RESOURCE, req.normalisations)));
    const staged = this.groups.create(req.ctx, fields, memberIds);
    await staged.flush();
    return this.#result(req, staged.staged, 201, parseProjection(GROUP_RESOURCE, q.attributes, q.excludedAttributes));
  }

  async replace(req: ScimRequest, id: string, body: unknown, ifMatch: string | undefined, q: ProjectionQuery): Promise<ScimResult> {
    const current = this.#find(req, id);
    const { fields, memberIds } = groupFromDoc(checkedGroup(normaliseResource(body, GROUP_RESOURCE, req.normalisations), groupToDoc(current, undefined)));
    const staged = this.groups.replace(req.ctx, id, fields, memberIds, ifMatch);
    await staged.flush();
    return this.#result(req, staged.staged, 200, parseProjection(GROUP_RESOURCE, q.attributes, q.excludedAttributes));
  }

  /** 204 (what Entra expects) unless the request asks for attributes back. */
  async patch(req: ScimRequest, id: string, body: unknown, ifMatch: string | undefined, q: ProjectionQuery): Promise<ScimResult> {
    const ops = parsePatchRequest(body, GROUP_RESOURCE, req.normalisations);
    checkMembersPerRequest(ops.reduce((n, o) => n + memberValuesIn(o), 0));
    const staged = this.storage.transaction(() => {
      const current = this.#find(req, id);
      const members = touchesMembers(ops) ? this.storage.forTenant(req.ctx.tenantId).directoryGroups.members(id) : undefined;
      const before = groupToDoc(current, members);
      const doc = applyPatch(before, ops, GROUP_RESOURCE, req.normalisations, id);
      checkLimits(doc, GROUP_RESOURCE, before);
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
      : isObject(o.value) && Object.keys(o.value).some(isMembersKey),
  );
}

/** `members` in a path-less value, in any letter case, also URN-qualified (`urn:…:Group:members`). */
const isMembersKey = (key: string) => {
  const r = resolveAttribute(GROUP_RESOURCE, key);
  return r?.attr.name === 'members' && !r.sub;
};

/** A POST or PUT body within the limits: its member values counted, its other attributes checked. */
function checkedGroup(doc: ScimObject, previous?: ScimObject): ScimObject {
  checkMembersPerRequest(Array.isArray(doc.members) ? doc.members.length : 0);
  checkLimits(doc, GROUP_RESOURCE, previous);
  return doc;
}

/** How many member values one operation carries (added, replaced or listed for removal). */
function memberValuesIn(o: PatchOperation): number {
  const count = (v: unknown) => (Array.isArray(v) ? v.length : v === undefined || v === null ? 0 : 1);
  if (o.path) return o.path.kind === 'attribute' && o.path.target.attr.name === 'members' && !o.path.target.sub ? count(o.value) : 0;
  if (!isObject(o.value)) return 0;
  const value = o.value;
  return Object.keys(value).filter(isMembersKey).reduce((n, k) => n + count(value[k]), 0);
}
