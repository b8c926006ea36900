import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { decodeCursor, toPage, type Page } from '../lib/pagination.ts';
import { notFound } from '../http/errors.ts';
import type { Principal } from '../http/principal.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import type { Actor } from '../audit/events.ts';
import { apiKeyView, mintApiKey, parseApiKey, secretMatches, type ApiKey } from './api-key.ts';
import type { Scope } from './scopes.ts';
import { TouchThrottle } from '../lib/touch-throttle.ts';

export interface CreatedKey {
  apiKey: ApiKey;
  /** The full key: shown once, never stored. */
  key: string;
}

export class ApiKeyService {
  readonly #touches: TouchThrottle;
  /** Principals built once per cached key row (rows are replaced whenever the database changes). */
  readonly #principals = new WeakMap<object, Principal | null>();

  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.#touches = new TouchThrottle(clock);
  }

  createTenantKey(tenantId: string, input: { name: string; scopes: Scope[] }, actor: Actor): CreatedKey {
    const now = this.clock.now();
    const id = newId('key', now.getTime());
    const { key, secretHash } = mintApiKey(id);
    const record = {
      id,
      name: input.name,
      scopes: [...new Set(input.scopes)].sort(),
      secret_hash: secretHash,
      created_at: now.toISOString(),
      created_by: actor.credential_id ?? actor.type,
      last_used_at: null,
      revoked_at: null,
    };
    const repo = this.storage.forTenant(tenantId);
    this.storage.transaction(() => {
      repo.apiKeys.insert(record);
      this.audit.record(
        tenantId,
        { action: 'api_key.created', target: { type: 'api_key', id }, after: { name: record.name, scopes: record.scopes } },
        actor,
      );
    });
    return { apiKey: repo.apiKeys.find(id) as ApiKey, key };
  }

  createPlatformKey(input: { name: string }, actor: Actor): CreatedKey {
    const now = this.clock.now();
    const id = newId('key', now.getTime());
    const { key, secretHash } = mintApiKey(id);
    this.storage.transaction(() => {
      this.storage.unscoped.apiKeyLookup.insertPlatformKey({
        id,
        name: input.name,
        scopes: [],
        secret_hash: secretHash,
        created_at: now.toISOString(),
        created_by: actor.credential_id ?? actor.type,
        last_used_at: null,
        revoked_at: null,
      });
      this.audit.recordPlatform(
        { action: 'api_key.created', target: { type: 'api_key', id }, after: { name: input.name, platform: true } },
        actor,
      );
    });
    return { apiKey: this.storage.unscoped.apiKeyLookup.findPlatformKey(id) as ApiKey, key };
  }

  /** Creates the first platform key when none was ever made; returns it, or undefined. */
  ensureFirstPlatformKey(actor: Actor): CreatedKey | undefined {
    return this.storage.transaction(() =>
      this.storage.unscoped.apiKeyLookup.anyPlatformKeyExists()
        ? undefined
        : this.createPlatformKey({ name: 'initial platform key' }, actor),
    );
  }

  list(tenantId: string, cursor: string | undefined, limit: number): Page<ApiKey> {
    const rows = this.storage.forTenant(tenantId).apiKeys.list(decodeCursor(cursor), limit + 1);
    return toPage(rows, limit, (k) => k.id);
  }

  get(tenantId: string, id: string): ApiKey {
    const key = this.storage.forTenant(tenantId).apiKeys.find(id);
    if (!key) throw notFound('API key');
    return key;
  }

  revokeTenantKey(tenantId: string, id: string, actor: Actor): ApiKey {
    const repo = this.storage.forTenant(tenantId).apiKeys;
    return this.storage.transaction(() => {
      const before = repo.find(id);
      if (!before) throw notFound('API key');
      if (before.revoked_at) return before;
      repo.revoke(id, this.clock.now().toISOString());
      const after = repo.find(id) as ApiKey;
      this.audit.record(
        tenantId,
        { action: 'api_key.revoked', target: { type: 'api_key', id }, before: apiKeyView(before), after: apiKeyView(after) },
        actor,
      );
      return after;
    });
  }

  /** Revokes any key by id (the CLI's `apikey revoke ID`), platform or tenant. */
  revokeAny(id: string, actor: Actor): ApiKey {
    const lookup = this.storage.unscoped.apiKeyLookup;
    const owner = lookup.ownerOf(id);
    if (!owner) throw notFound('API key');
    if (owner.tenant_id !== null) return this.revokeTenantKey(owner.tenant_id, id, actor);
    return this.storage.transaction(() => {
      const before = lookup.findPlatformKey(id) as ApiKey;
      if (before.revoked_at) return before;
      lookup.revokePlatformKey(id, this.clock.now().toISOString());
      this.audit.recordPlatform({ action: 'api_key.revoked', target: { type: 'api_key', id } }, actor);
      return lookup.findPlatformKey(id) as ApiKey;
    });
  }

  /**
   * Verifies a presented key. Unknown, malformed, revoked and wrong-secret keys all give
   * undefined (the caller answers 401 without saying which).
   */
  authenticate(presented: string): Principal | undefined {
    const parsed = parseApiKey(presented);
    if (!parsed) return undefined;
    const row = this.storage.unscoped.apiKeyLookup.findForAuthentication(parsed.id);
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return undefined;
    let principal = this.#principals.get(row);
    if (principal === undefined) {
      principal = principalOf(row);
      this.#principals.set(row, principal);
    }
    if (principal) this.#touch(row.id);
    return principal ?? undefined;
  }

  #touch(id: string): void {
    const at = this.#touches.due(id);
    if (at) this.storage.unscoped.apiKeyLookup.touch(id, at.toISOString());
  }
}

type AuthRow = NonNullable<ReturnType<Storage['unscoped']['apiKeyLookup']['findForAuthentication']>>;

/** What a verified key may act as; null when it is revoked or its tenant is gone. */
function principalOf(row: AuthRow): Principal | null {
  if (row.revoked_at) return null;
  if (row.tenant_id === null) return Object.freeze({ kind: 'platform', credentialId: row.id });
  if (row.tenant_deleted || row.tenant_status === null) return null;
  return Object.freeze({
    kind: 'tenant',
    credentialId: row.id,
    tenantId: row.tenant_id,
    tenantStatus: row.tenant_status,
    scopes: new Set(row.scopes),
  });
}
