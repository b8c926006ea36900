import type { Clock } from '../lib/clock.ts';
import { newId, ulid } from '../lib/ids.ts';
import { decodeCursor, toPage, type Page } from '../lib/pagination.ts';
import { ifMatchAccepts } from '../lib/etag.ts';
import { badRequest, conflict, notFound, preconditionFailed } from '../http/errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import type { Actor, AuditAction } from '../audit/events.ts';
import { SLUG_PATTERN, etagOf, slugify, tenantView, type Tenant, type TenantStatus } from './tenant.ts';

/**
 * Creates the authorization store a new tenant gets, in two steps around the tenant's own
 * transaction: `createStore` before it (the OpenFGA backend creates the store on the server),
 * then `complete` inside it, once the tenant row exists, so that what is audited about the new
 * store (its default model) lands on the tenant's chain, in the same transaction.
 */
export interface StoreProvisioner {
  createStore(tenantName: string): Promise<ProvisionedStore>;
  /** Undo for a store whose tenant could not be saved. */
  deleteStore(storeId: string): Promise<void>;
  /**
   * Runs inside the tenant-deletion transaction, after its audit event: the deleted tenant's
   * store is scheduled for purging (the housekeeping finishes it) and hidden at once.
   */
  retireStore?(tenantId: string, storeId: string): void;
}

export interface ProvisionedStore {
  storeId: string;
  /** Runs inside the tenant-creation transaction, after the tenant row is written. */
  complete(tenantId: string, actor: Actor): void;
}

export const localStoreProvisioner: StoreProvisioner = {
  createStore: async () => ({ storeId: ulid(), complete: () => {} }),
  deleteStore: async () => {},
};

type TenantFields = Partial<Pick<Tenant, 'name' | 'slug' | 'status' | 'deleted_at'>>;

export interface TenantUpdate {
  name?: string;
  slug?: string;
}

export class TenantService {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly stores: StoreProvisioner = localStoreProvisioner,
  ) {}

  private get registry() {
    return this.storage.unscoped.tenants;
  }

  async create(input: { name: string; slug?: string }, actor: Actor): Promise<Tenant> {
    if (input.slug !== undefined) this.#assertSlug(input.slug);
    // Checked again in the transaction (races); checked first so a refused create provisions no store.
    if (input.slug !== undefined && this.registry.slugTaken(input.slug)) throw slugTaken(input.slug);
    const store = await this.stores.createStore(input.name);
    const storeId = store.storeId;
    try {
      return this.storage.transaction(() => {
        const slug = input.slug ?? this.#freeSlug(slugify(input.name));
        if (this.registry.slugTaken(slug)) throw slugTaken(slug);
        const now = this.clock.now();
        const tenant: Tenant = {
          id: newId('ten', now.getTime()),
          slug,
          name: input.name,
          status: 'active',
          authz_store_id: storeId,
          version: 1,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
          deleted_at: null,
        };
        this.registry.insert(tenant);
        this.audit.record(
          tenant.id,
          { action: 'tenant.created', target: { type: 'tenant', id: tenant.id }, after: tenantView(tenant) },
          actor,
        );
        store.complete(tenant.id, actor);
        return tenant;
      });
    } catch (err) {
      await this.stores.deleteStore(storeId).catch(() => {});
      throw err;
    }
  }

  list(options: { cursor?: string; limit: number; status?: TenantStatus }): Page<Tenant> {
    const rows = this.registry.list({ afterId: decodeCursor(options.cursor), limit: options.limit + 1, status: options.status });
    return toPage(rows, options.limit, (t) => t.id);
  }

  /** A live tenant by id or slug; 404 otherwise. */
  get(ref: string): Tenant {
    const tenant = this.registry.findLive(ref);
    if (!tenant) throw notFound('tenant');
    return tenant;
  }

  update(ref: string, patch: TenantUpdate, ifMatch: string | undefined, actor: Actor): Tenant {
    if (patch.slug !== undefined) this.#assertSlug(patch.slug);
    return this.#change(ref, ifMatch, actor, 'tenant.updated', (current) => {
      if (patch.slug !== undefined && patch.slug !== current.slug && this.registry.slugTaken(patch.slug)) {
        throw conflict('slug_taken', `The slug '${patch.slug}' is already in use.`);
      }
      // Only what differs: values equal to the current ones change nothing (no new version, no event).
      const fields = Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && v !== current[k as keyof TenantUpdate]));
      return { fields };
    });
  }

  suspend(ref: string, ifMatch: string | undefined, actor: Actor): Tenant {
    return this.#change(ref, ifMatch, actor, 'tenant.suspended', (current) => {
      if (current.status === 'suspended') throw conflict('tenant_already_suspended', 'The tenant is already suspended.');
      return { fields: { status: 'suspended' } };
    });
  }

  resume(ref: string, ifMatch: string | undefined, actor: Actor): Tenant {
    return this.#change(ref, ifMatch, actor, 'tenant.resumed', (current) => {
      if (current.status === 'active') throw conflict('tenant_not_suspended', 'The tenant is not suspended.');
      return { fields: { status: 'active' } };
    });
  }

  /**
   * Soft delete: the row stays (for audit), the tenant disappears, its API keys are revoked,
   * its apps deleted (a multi-tenant app too: it served other tenants on this one's behalf) and
   * its authorization store scheduled for purging (`StoreProvisioner.retireStore`).
   */
  delete(ref: string, ifMatch: string | undefined, actor: Actor): Tenant {
    const at = this.clock.now().toISOString();
    return this.#change(ref, ifMatch, actor, 'tenant.deleted', (current) => {
      const revoked = this.storage.forTenant(current.id).apiKeys.revokeAll(at);
      const apps = this.storage.sql
        .prepare('UPDATE oidc_apps SET deleted_at = ?, updated_at = ? WHERE tenant_id = ? AND deleted_at IS NULL')
        .run(at, at, current.id).changes;
      return {
        fields: { status: 'deleted', deleted_at: at },
        metadata: { api_keys_revoked: revoked, ...(apps > 0 ? { apps_deleted: apps } : {}) },
        after: () => this.stores.retireStore?.(current.id, current.authz_store_id),
      };
    });
  }

  #change(
    ref: string,
    ifMatch: string | undefined,
    actor: Actor,
    action: AuditAction,
    decide: (current: Tenant) => { fields: TenantFields; metadata?: Record<string, unknown>; after?: () => void },
  ): Tenant {
    return this.storage.transaction(() => {
      const current = this.get(ref);
      if (ifMatch !== undefined && !ifMatchAccepts(ifMatch, etagOf(current))) throw preconditionFailed();
      const { fields, metadata, after } = decide(current);
      if (Object.keys(fields).length === 0) return current;
      const updated = this.registry.update(current.id, current.version, fields, this.clock.now().toISOString());
      if (!updated) throw preconditionFailed();
      this.audit.record(
        current.id,
        { action, target: { type: 'tenant', id: current.id }, before: tenantView(current), after: tenantView(updated), metadata },
        actor,
      );
      after?.();
      return updated;
    });
  }

  #assertSlug(slug: string): void {
    if (!SLUG_PATTERN.test(slug)) {
      throw badRequest('invalid_slug', 'A slug is 1-63 lowercase letters, digits and inner hyphens.');
    }
  }

  #freeSlug(base: string): string {
    if (!this.registry.slugTaken(base)) return base;
    for (let i = 2; i < 1000; i++) {
      const candidate = `${base.slice(0, 58)}-${i}`;
      if (!this.registry.slugTaken(candidate)) return candidate;
    }
    return `${base.slice(0, 50)}-${ulid().slice(-8).toLowerCase()}`;
  }
}

const slugTaken = (slug: string) => conflict('slug_taken', `The slug '${slug}' is already in use.`);
