import type { Storage } from '../../storage/storage.ts';
import { etagOfVersion } from '../etag.ts';
import type { UserWrites } from '../user-writes.ts';
import type { UserRecord } from '../user.ts';
import { isObject, type ScimObject } from './doc.ts';
import { resourceNotFound } from './errors.ts';
import { normaliseResource } from './input.ts';
import { checkLimits } from './limit-check.ts';
import { listResources, type RawListQuery } from './list-query.ts';
import { applyPatch } from './patch/apply.ts';
import { parsePatchRequest } from './patch/request.ts';
import { parseProjection, project, type Projection } from './projection.ts';
import type { ScimRequest, ScimResult } from './request.ts';
import { USER_RESOURCE } from './schema/registry.ts';
import { userFromDoc, userResource, userToDoc } from './user-mapper.ts';

export interface ProjectionQuery {
  attributes?: string;
  excludedAttributes?: string;
}

/** The /Users resource type: SCIM documents in and out, directory writes in between. */
export class ScimUsers {
  constructor(
    private readonly storage: Storage,
    private readonly users: UserWrites,
  ) {}

  get(req: ScimRequest, id: string, q: ProjectionQuery): ScimResult {
    const user = this.#find(req, id);
    return this.#result(req, user, 200, parseProjection(USER_RESOURCE, q.attributes, q.excludedAttributes));
  }

  list(req: ScimRequest, raw: RawListQuery): ScimResult {
    const repo = this.storage.forTenant(req.ctx.tenantId);
    return listResources(req, raw, USER_RESOURCE, repo.directoryUsers, (page, projection) => {
      const groups = repo.directoryGroups.groupsOfUsers(page.map((u) => u.id));
      return page.map((u) => project(userResource(u, groups.get(u.id) ?? [], req.baseUrl), USER_RESOURCE, projection));
    });
  }

  async create(req: ScimRequest, body: unknown, q: ProjectionQuery): Promise<ScimResult> {
    const doc = normaliseResource(body, USER_RESOURCE, req.normalisations);
    checkLimits(doc, USER_RESOURCE);
    const staged = this.users.create(req.ctx, userFromDoc(doc));
    await staged.flush();
    return this.#result(req, staged.staged, 201, parseProjection(USER_RESOURCE, q.attributes, q.excludedAttributes));
  }

  async replace(req: ScimRequest, id: string, body: unknown, ifMatch: string | undefined, q: ProjectionQuery): Promise<ScimResult> {
    const current = this.#find(req, id);
    const doc = normaliseResource(body, USER_RESOURCE, req.normalisations);
    checkLimits(doc, USER_RESOURCE, userToDoc(current));
    const staged = this.users.replace(req.ctx, id, userFromDoc(doc, current), ifMatch);
    await staged.flush();
    return this.#result(req, staged.staged, 200, parseProjection(USER_RESOURCE, q.attributes, q.excludedAttributes));
  }

  async patch(req: ScimRequest, id: string, body: unknown, ifMatch: string | undefined, q: ProjectionQuery): Promise<ScimResult> {
    const ops = parsePatchRequest(body, USER_RESOURCE, req.normalisations);
    const staged = this.storage.transaction(() => {
      const current = this.#find(req, id);
      const before = userToDoc(current);
      const doc = applyPatch(before, ops, USER_RESOURCE, req.normalisations, id);
      checkLimits(doc, USER_RESOURCE, before);
      return this.users.replace(req.ctx, id, userFromDoc(doc, current), ifMatch);
    });
    await staged.flush();
    return this.#result(req, staged.staged, 200, parseProjection(USER_RESOURCE, q.attributes, q.excludedAttributes));
  }

  async delete(req: ScimRequest, id: string, ifMatch: string | undefined): Promise<ScimResult> {
    const user = this.storage.forTenant(req.ctx.tenantId).directoryUsers.find(id);
    if (!user || user.directory_id !== req.ctx.directoryId) {
      // Still 404 (RFC 7644 §3.6), once a retry has finished what a failed first attempt left.
      await this.users.finishDeletion(req.ctx, id)?.flush();
      throw resourceNotFound('User', id);
    }
    await this.users.delete(req.ctx, id, ifMatch).flush();
    return { status: 204 };
  }

  #find(req: ScimRequest, id: string): UserRecord {
    const user = this.storage.forTenant(req.ctx.tenantId).directoryUsers.find(id);
    if (!user || user.directory_id !== req.ctx.directoryId) throw resourceNotFound('User', id);
    return user;
  }

  #result(req: ScimRequest, user: UserRecord, status: number, projection: Projection): ScimResult {
    const groups = this.storage.forTenant(req.ctx.tenantId).directoryGroups.groupsOfUser(user.id);
    const full = userResource(user, groups, req.baseUrl);
    const meta = full.meta as ScimObject;
    return {
      status,
      body: project(full, USER_RESOURCE, projection),
      etag: etagOfVersion(user.version),
      location: isObject(meta) ? (meta.location as string) : undefined,
    };
  }
}
