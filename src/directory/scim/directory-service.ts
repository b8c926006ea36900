import type { Clock } from '../../lib/clock.ts';
import { newId, ulid } from '../../lib/ids.ts';
import { decodeCursor, toPage, type Page } from '../../lib/pagination.ts';
import { ApiError, badRequest, notFound } from '../../http/errors.ts';
import type { Principal } from '../../http/principal.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import { mintScimToken, parseScimToken, scimSecretMatches, tokenView, type NormalisationRecord, type ScimDirectory, type ScimToken } from './directory.ts';
import type { Deviation } from './dialects.ts';
import { TouchThrottle } from '../../lib/touch-throttle.ts';

export interface CreatedScimToken {
  token: ScimToken;
  /** The bearer secret: shown once, never stored. */
  secret: string;
  base_url: string;
}

/** SCIM directories of a tenant, their bearer tokens and the record of normalised requests. */
export class ScimDirectoryService {
  readonly #touches: TouchThrottle;
  /**
   * The live SSO connections bound to a directory (set by the composition root): a directory
   * with any is not deleted, since that would release its users to every connection of the
   * tenant, and a SCIM POST adopting a just-in-time user into it revokes the user's sign-ins.
   */
  boundConnections: (tenantId: string, directoryId: string) => { id: string; name: string }[] = () => [];

  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly baseUrl: string,
  ) {
    this.#touches = new TouchThrottle(clock);
  }

  baseUrlOf(directoryId: string): string {
    return `${this.baseUrl}/scim/v2/${directoryId}`;
  }

  createDirectory(tenantId: string, input: { name: string }, actor: Actor): ScimDirectory {
    const repo = this.storage.forTenant(tenantId).scimDirectories;
    return this.storage.transaction(() => {
      const now = this.clock.now();
      const id = newId('dir', now.getTime());
      repo.insert({ id, name: input.name, created_at: now.toISOString(), deleted_at: null });
      this.audit.record(tenantId, { action: 'scim.directory.created', target: { type: 'scim_directory', id }, after: { name: input.name } }, actor);
      return repo.find(id) as ScimDirectory;
    });
  }

  /** The tenant's first directory, created when it has none (what `scim-token create --tenant T` uses). */
  defaultDirectory(tenantId: string, actor: Actor): ScimDirectory {
    return this.storage.transaction(
      () => this.storage.forTenant(tenantId).scimDirectories.list(undefined, 1)[0] ?? this.createDirectory(tenantId, { name: 'Default directory' }, actor),
    );
  }

  getDirectory(tenantId: string, id: string): ScimDirectory {
    const d = this.storage.forTenant(tenantId).scimDirectories.find(id);
    if (!d) throw notFound('SCIM directory');
    return d;
  }

  listDirectories(tenantId: string, cursor: string | undefined, limit: number): Page<ScimDirectory> {
    const rows = this.storage.forTenant(tenantId).scimDirectories.list(decodeCursor(cursor), limit + 1);
    return toPage(rows, limit, (d) => d.id);
  }

  /**
   * Deletes the directory's endpoint: its tokens stop working. Users and groups stay (and stay
   * audited). Refused (409 `directory_in_use`) while an SSO connection is bound to it.
   */
  deleteDirectory(tenantId: string, id: string, actor: Actor): void {
    const repo = this.storage.forTenant(tenantId).scimDirectories;
    this.storage.transaction(() => {
      this.getDirectory(tenantId, id);
      const bound = this.boundConnections(tenantId, id);
      if (bound.length > 0) {
        const names = bound.map((c) => `'${c.name}' (${c.id})`).join(', ');
        throw new ApiError(
          409,
          'directory_in_use',
          `SSO connection${bound.length === 1 ? '' : 's'} ${names} ${bound.length === 1 ? 'is' : 'are'} bound to this directory: unbind (PATCH the connection with "directory_id": null) or delete ${bound.length === 1 ? 'it' : 'them'} first. Deleting the directory would let every connection of the tenant sign in its users.`,
          { details: { connections: bound.map((c) => c.id) } },
        );
      }
      const at = this.clock.now().toISOString();
      const revoked = repo.revokeAllTokens(id, at);
      repo.markDeleted(id, at);
      this.audit.record(tenantId, { action: 'scim.directory.deleted', target: { type: 'scim_directory', id }, metadata: { tokens_revoked: revoked } }, actor);
    });
  }

  createToken(tenantId: string, directoryId: string, input: { name: string }, actor: Actor): CreatedScimToken {
    const repo = this.storage.forTenant(tenantId).scimDirectories;
    return this.storage.transaction(() => {
      this.getDirectory(tenantId, directoryId);
      const now = this.clock.now();
      const id = newId('scim', now.getTime());
      const { token, secretHash } = mintScimToken(id);
      repo.insertToken({
        id,
        directory_id: directoryId,
        name: input.name,
        secret_hash: secretHash,
        created_at: now.toISOString(),
        created_by: actor.credential_id ?? actor.type,
        last_used_at: null,
        revoked_at: null,
      });
      this.audit.record(
        tenantId,
        { action: 'scim.token.created', target: { type: 'scim_token', id }, after: { name: input.name, directory_id: directoryId } },
        actor,
      );
      return { token: repo.findToken(directoryId, id) as ScimToken, secret: token, base_url: this.baseUrlOf(directoryId) };
    });
  }

  listTokens(tenantId: string, directoryId: string, cursor: string | undefined, limit: number): Page<ScimToken> {
    this.getDirectory(tenantId, directoryId);
    const rows = this.storage.forTenant(tenantId).scimDirectories.listTokens(directoryId, decodeCursor(cursor), limit + 1);
    return toPage(rows, limit, (t) => t.id);
  }

  revokeToken(tenantId: string, directoryId: string, tokenId: string, actor: Actor): ScimToken {
    const repo = this.storage.forTenant(tenantId).scimDirectories;
    return this.storage.transaction(() => {
      const before = repo.findToken(directoryId, tokenId);
      if (!before) throw notFound('SCIM token');
      if (before.revoked_at) return before;
      repo.revokeToken(directoryId, tokenId, this.clock.now().toISOString());
      const after = repo.findToken(directoryId, tokenId) as ScimToken;
      this.audit.record(
        tenantId,
        { action: 'scim.token.revoked', target: { type: 'scim_token', id: tokenId }, before: tokenView(before), after: tokenView(after) },
        actor,
      );
      return after;
    });
  }

  /** A SCIM principal for a valid, unrevoked token of a live directory in a live tenant; else undefined. */
  authenticate(presented: string): Principal | undefined {
    const parsed = parseScimToken(presented);
    if (!parsed) return undefined;
    const lookup = this.storage.unscoped.scimTokenLookup;
    const row = lookup.findForAuthentication(parsed.id);
    if (!row || !scimSecretMatches(parsed.secret, row.secret_hash) || row.revoked_at) return undefined;
    const tenant = this.storage.unscoped.tenants.findById(row.tenant_id);
    if (!tenant || tenant.deleted_at) return undefined;
    this.#touch(row.id);
    return { kind: 'scim', credentialId: row.id, tenantId: row.tenant_id, tenantStatus: tenant.status, directoryId: row.directory_id };
  }

  /** Stores what a request's normalisation accepted. Call inside the request's write transaction. */
  recordNormalisations(
    tenantId: string,
    directoryId: string,
    request: { request_id: string; method: string; path: string; user_agent: string | null },
    deviations: readonly Deviation[],
  ): void {
    const repo = this.storage.forTenant(tenantId).scimDirectories;
    const at = this.clock.now();
    for (const d of deviations) {
      repo.insertNormalisation({ id: ulid(at.getTime()), directory_id: directoryId, occurred_at: at.toISOString(), ...request, ...d });
    }
  }

  listNormalisations(tenantId: string, directoryId: string, cursor: string | undefined, limit: number): Page<NormalisationRecord> {
    this.getDirectory(tenantId, directoryId);
    const before = decodeCursor(cursor);
    const seq = before === undefined ? undefined : Number(before);
    if (seq !== undefined && !Number.isSafeInteger(seq)) throw badRequest('invalid_cursor', 'The pagination cursor is not valid.');
    const rows = this.storage.forTenant(tenantId).scimDirectories.listNormalisations(directoryId, seq, limit + 1);
    const page = toPage(rows, limit, (r) => String(r.seq));
    return { data: page.data.map(({ seq: _, ...r }) => r), next_cursor: page.next_cursor };
  }

  #touch(id: string): void {
    const at = this.#touches.due(id);
    if (at) this.storage.unscoped.scimTokenLookup.touch(id, at.toISOString());
  }
}
