import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { decodeCursor, toPage, type Page } from '../../lib/pagination.ts';
import { ifMatchAccepts } from '../../lib/etag.ts';
import { badRequest, notFound, preconditionFailed } from '../../http/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import { stagedDone, type Staged } from '../../lib/staged.ts';
import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import { createSpKeyPair } from '../saml/certificates.ts';
import { SP_KEY_CONTEXT } from '../saml/service-provider.ts';
import type { MetadataFetcher } from '../saml/metadata-fetch.ts';
import { connectionEtag, connectionView, sameConnectionSettings, type Connection, type SamlSettings } from './connection.ts';
import { assertEntraTenancy, assertGoogleDomains, resolveSamlIdp, type ConnectionInput, type ConnectionPatch } from './inputs.ts';
import { SqliteConnectionLookup, SqliteTenantConnections } from './sqlite-store.ts';
import { SpCertificateRotation } from './sp-rotation.ts';
import { SqliteAppLookup } from '../../oidc/apps/sqlite-store.ts';
import { ADMIN_REVOCATION_REASON, DELETION_REVOCATION_REASON, revokedCount, type BindingSessionSweep } from './binding-sweep.ts';
import { secretChange } from './secret-change.ts';
import { oidcSettings } from './oidc-settings.ts';
import type { Session } from '../../sessions/session.ts';

export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

/** The outcome of one metadata refresh: the connection as it now is, and why the fetch failed (null: it did not). */
export interface MetadataRefresh {
  connection: Connection;
  error: string | null;
}

/** A tenant's IdP connections: created, changed, tested and removed by admins, every change audited. */
export class ConnectionService {
  readonly lookup: SqliteConnectionLookup;
  /** SP certificate rotation of SAML connections. */
  readonly spCertificates: SpCertificateRotation;
  readonly #apps: SqliteAppLookup;
  /**
   * Takes away, from everyone who signed in through the connection, relations its group mappings
   * no longer name (set by the SSO composition; call inside the change's transaction).
   */
  unmapRelations: (tenantId: string, connectionId: string, relations: string[], actor: Actor) => Staged<number> = () => stagedDone(0);
  /** Ends the sign-ins a change of directory binding no longer allows (set by the SSO composition). */
  bindingSweep: BindingSessionSweep | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly fetchMetadata: MetadataFetcher,
    private readonly baseUrl: string,
    /** The operator's floor under every connection's settings (`PORTCULLIS_SAML_SHA1=refuse`). */
    readonly policy: { refuseSha1: boolean } = { refuseSha1: false },
  ) {
    this.lookup = new SqliteConnectionLookup(storage.sql);
    this.spCertificates = new SpCertificateRotation(this, storage, audit, clock, box, baseUrl);
    this.#apps = new SqliteAppLookup(storage.sql);
  }

  repo(tenantId: string): SqliteTenantConnections {
    return new SqliteTenantConnections(this.storage.sql, tenantId);
  }

  view(c: Connection) {
    return connectionView(c, this.baseUrl, this.lookup.lastTest(c.id), c.saml ? this.lookup.decryptionUsage(c.id) : {});
  }

  async create(tenantId: string, input: ConnectionInput, actor: Actor): Promise<Connection> {
    if (input.protocol === 'saml' && input.oidc !== undefined) throw badRequest('invalid_connection', 'A SAML connection takes no `oidc` settings.');
    if (input.protocol === 'oidc' && input.saml !== undefined) throw badRequest('invalid_connection', 'An OIDC connection takes no `saml` settings.');
    const now = this.clock.now();
    const id = newId('conn', now.getTime());
    const connection: Connection = {
      id,
      tenant_id: tenantId,
      name: input.name,
      protocol: input.protocol,
      status: input.status ?? 'testing',
      attribute_preset: input.attribute_preset ?? 'generic',
      attribute_mapping: input.attribute_mapping ?? {},
      group_mappings: input.group_mappings ?? [],
      directory_id: input.directory_id ?? null,
      saml: input.protocol === 'saml' ? await this.#newSaml(tenantId, id, input, now) : null,
      oidc: input.protocol === 'oidc' ? oidcSettings(input.oidc, undefined, this.box) : null,
      version: 1,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    const revoked = this.storage.transaction(() => {
      this.#assertDirectory(tenantId, connection.directory_id);
      this.repo(tenantId).insert(connection);
      const disallowed = this.#disallowedSessions(tenantId, null, connection.directory_id);
      this.audit.record(
        tenantId,
        { action: 'sso.connection.created', target: { type: 'connection', id }, after: connectionView(connection, this.baseUrl), metadata: revokedCount(disallowed, undefined) },
        actor,
      );
      return this.bindingSweep?.revoke(disallowed, id, actor) ?? stagedDone(0);
    });
    await revoked.flush();
    return this.get(tenantId, id);
  }

  get(tenantId: string, id: string): Connection {
    const c = this.repo(tenantId).find(id);
    if (!c) throw notFound('connection');
    return c;
  }

  list(tenantId: string, cursor: string | undefined, limit: number): Page<Connection> {
    return toPage(this.repo(tenantId).list(decodeCursor(cursor), limit + 1), limit, (c) => c.id);
  }

  /** Every active connection of the tenant (a tenant may have any number: none may be left out of sign-in). */
  active(tenantId: string): Connection[] {
    return this.repo(tenantId).list(undefined, -1, 'active');
  }

  async update(tenantId: string, id: string, patch: ConnectionPatch, ifMatch: string | undefined, actor: Actor): Promise<Connection> {
    const current = this.get(tenantId, id);
    if (patch.saml && current.protocol !== 'saml') throw badRequest('invalid_connection', 'This is not a SAML connection.');
    if (patch.oidc && current.protocol !== 'oidc') throw badRequest('invalid_connection', 'This is not an OIDC connection.');
    const saml = patch.saml && current.saml ? await this.#patchSaml(tenantId, current.saml, patch.saml) : current.saml;
    const oidc = patch.oidc && current.oidc ? oidcSettings(patch.oidc, current.oidc, this.box) : current.oidc;
    // Connections saved before the Entra tenancy rule are held to it when they are switched on.
    if (oidc && patch.status === 'active') {
      assertEntraTenancy(oidc);
      assertGoogleDomains(oidc);
    }
    const { after, unmapped, revoked } = this.storage.transaction(() => {
      const before = this.get(tenantId, id);
      if (before.version !== current.version || (ifMatch !== undefined && !ifMatchAccepts(ifMatch, connectionEtag(before)))) throw preconditionFailed();
      const next: Connection = {
        ...before,
        name: patch.name ?? before.name,
        status: patch.status ?? before.status,
        attribute_preset: patch.attribute_preset ?? before.attribute_preset,
        attribute_mapping: patch.attribute_mapping ?? before.attribute_mapping,
        group_mappings: patch.group_mappings ?? before.group_mappings,
        directory_id: patch.directory_id === undefined ? before.directory_id : patch.directory_id,
        saml,
        oidc,
      };
      this.#assertDirectory(tenantId, next.directory_id);
      // Settings as they already are (an empty PATCH, a client re-sending what it read): no write, no event, same ETag.
      if (sameConnectionSettings(before, next)) return { after: before, unmapped: undefined, revoked: undefined };
      this.repo(tenantId).update(next, this.clock.now().toISOString());
      const after = this.get(tenantId, id);
      const disallowed = this.#disallowedSessions(tenantId, before.directory_id, after.directory_id);
      this.audit.record(
        tenantId,
        {
          action: 'sso.connection.updated',
          target: { type: 'connection', id },
          before: connectionView(before, this.baseUrl),
          after: connectionView(after, this.baseUrl),
          metadata: revokedCount(disallowed, secretChange(before.oidc, after.oidc)),
        },
        actor,
      );
      const revoked = this.bindingSweep?.revoke(disallowed, id, actor);
      const regrouped = relationsLeaving(before, after);
      return { after, unmapped: this.#stageUnmap(tenantId, id, regrouped, mappedRelations(after).filter((r) => !regrouped.includes(r)), actor), revoked };
    });
    await revoked?.flush();
    if (unmapped) await this.#finishUnmap(id, unmapped);
    return after;
  }

  /**
   * Deletes a connection and ends what was signed in through it, in this request: its sessions
   * (back-channel logout) with their grants and refresh tokens — the step an admin takes when an
   * IdP is compromised or a partnership ends — and the relations its group mappings granted.
   */
  async delete(tenantId: string, id: string, actor: Actor): Promise<void> {
    const { unmapped, revoked } = this.storage.transaction(() => {
      const before = this.get(tenantId, id);
      this.repo(tenantId).markDeleted(id, this.clock.now().toISOString());
      if (!this.bindingSweep) throw new Error('ConnectionService.bindingSweep is not set');
      const ended = this.bindingSweep.throughConnection(tenantId, id);
      this.audit.record(
        tenantId,
        { action: 'sso.connection.deleted', target: { type: 'connection', id }, before: connectionView(before, this.baseUrl), metadata: revokedCount(ended, undefined) },
        actor,
      );
      return { unmapped: this.#stageUnmap(tenantId, id, mappedRelations(before), [], actor), revoked: this.bindingSweep.revoke(ended, id, actor, DELETION_REVOCATION_REASON) };
    });
    await revoked.flush();
    await this.#finishUnmap(id, unmapped);
  }

  /**
   * Signs out everyone who signed in through this connection, now, leaving the connection as it
   * is (an IdP account suspected compromised; the connection switched off first): each session
   * with back-channel logout, its grants, refresh and access tokens. Returns how many ended.
   */
  async revokeSessions(tenantId: string, id: string, actor: Actor): Promise<number> {
    const revoked = this.storage.transaction(() => {
      this.get(tenantId, id);
      if (!this.bindingSweep) throw new Error('ConnectionService.bindingSweep is not set');
      const ended = this.bindingSweep.throughConnection(tenantId, id);
      this.audit.record(tenantId, { action: 'sso.connection.sessions_revoked', target: { type: 'connection', id }, metadata: { sessions_revoked: ended.length } }, actor);
      return this.bindingSweep.revoke(ended, id, actor, ADMIN_REVOCATION_REASON);
    });
    return revoked.flush();
  }

  /**
   * The sessions a binding change from `was` to `is` (directory ids, null: unbound) leaves
   * disallowed; none, without a query, when the binding did not change.
   */
  #disallowedSessions(tenantId: string, was: string | null, is: string | null): Session[] {
    if (was === is) return [];
    if (!this.bindingSweep) throw new Error('ConnectionService.bindingSweep is not set');
    return this.bindingSweep.disallowed(tenantId, [was, is]);
  }

  /**
   * Retries removals a remote authorization server could not take when the connection changed
   * (the housekeeping calls this). Returns how many connections were finished and how many failed again.
   */
  async finishPendingUnmaps(actor: Actor): Promise<{ finished: number; failed: number }> {
    const out = { finished: 0, failed: 0 };
    for (const c of this.lookup.withUnmapPending()) {
      const work = this.storage.transaction(() => {
        const live = this.repo(c.tenant_id).find(c.id);
        return this.#stageUnmap(c.tenant_id, c.id, [], live ? mappedRelations(live) : [], actor);
      });
      try {
        await this.#finishUnmap(c.id, work);
        out.finished++;
      } catch {
        out.failed++;
      }
    }
    return out;
  }

  /**
   * Inside a connection change's transaction: stages taking away the relations its mappings no
   * longer name (`removed` minus `kept`, plus any a remote server could not take before). With a
   * remote server they are remembered until `#finishUnmap` has seen them gone.
   */
  #stageUnmap(tenantId: string, id: string, removed: string[], kept: string[], actor: Actor): { staged: Staged<number>; relations: string[] } {
    const pending = this.lookup.unmapPending(id);
    const relations = [...new Set([...pending, ...removed])].filter((r) => !kept.includes(r));
    const staged = this.unmapRelations(tenantId, id, relations, actor);
    if (staged.remote || pending.length > 0) this.lookup.setUnmapPending(id, staged.remote ? relations : []);
    return { staged, relations };
  }

  async #finishUnmap(id: string, work: { staged: Staged<number>; relations: string[] }): Promise<void> {
    await work.staged.flush();
    if (!work.staged.remote) return;
    this.storage.transaction(() => this.lookup.setUnmapPending(id, this.lookup.unmapPending(id).filter((r) => !work.relations.includes(r))));
  }

  /**
   * Re-reads the metadata URL of a SAML connection. On failure the IdP settings stay as they were
   * and the attempt is still recorded (`metadata_error`, `metadata_refreshed_at`, audited);
   * `error` then says why, for the caller to report.
   */
  async refreshMetadata(tenantId: string, id: string, actor: Actor): Promise<MetadataRefresh> {
    const current = this.get(tenantId, id);
    if (!current.saml?.metadata_url) throw badRequest('no_metadata_url', 'This connection was not imported from a metadata URL.');
    let error: string | null = null;
    let idp: Awaited<ReturnType<typeof resolveSamlIdp>> | undefined;
    try {
      idp = await resolveSamlIdp({ metadata_url: current.saml.metadata_url }, this.fetchMetadata, { now: this.clock.now(), skewSeconds: current.saml.clock_skew_seconds });
    } catch (err) {
      error = (err as Error).message.slice(0, 500);
    }
    return this.storage.transaction(() => {
      // Re-read: an admin may have changed the connection while the metadata was being fetched;
      // the refresh replaces only what the metadata says (nothing, if the URL itself changed).
      const latest = this.get(tenantId, id);
      if (!latest.saml || latest.saml.metadata_url !== current.saml?.metadata_url) return { connection: latest, error };
      // A refresh follows the IdP's key and URL changes, never a move to another IdP: a document
      // that now describes another entity (the URL reassigned, a mix-up at the IdP) changes
      // nothing; an admin moves the connection by PATCHing saml.metadata_url.
      if (idp && idp.idp_entity_id !== latest.saml.idp_entity_id) {
        error = `The metadata at ${String(latest.saml.metadata_url).slice(0, 200)} now describes another IdP (entity id '${idp.idp_entity_id.slice(0, 200)}', this connection trusts '${latest.saml.idp_entity_id}'), so nothing was taken from it: to move the connection to that IdP, PATCH saml.metadata_url with the URL.`;
        idp = undefined;
      }
      const saml = { ...latest.saml, ...idp };
      const now = this.clock.now().toISOString();
      const next = { ...latest, saml: { ...saml, metadata_refreshed_at: now, metadata_error: error } };
      this.repo(tenantId).update(next, now);
      this.audit.record(
        tenantId,
        {
          action: 'sso.connection.metadata_refreshed',
          target: { type: 'connection', id },
          metadata: { ok: error === null, error, certificates: saml.idp_certificates.map((c) => c.fingerprint), metadata_valid_until: saml.metadata_valid_until },
        },
        actor,
      );
      return { connection: this.get(tenantId, id), error };
    });
  }

  async #newSaml(tenantId: string, id: string, input: ConnectionInput, now: Date): Promise<SamlSettings> {
    const s = input.saml;
    if (!s) throw badRequest('invalid_connection', 'A SAML connection needs a `saml` object.');
    this.#assertLandingApp(tenantId, s.idp_initiated_app_id);
    this.#assertIdpInitiatedLands(s.allow_idp_initiated ?? false, s.idp_initiated_app_id ?? null);
    this.#assertSha1Allowed(s.allow_sha1_signatures);
    const idp = await resolveSamlIdp(s, this.fetchMetadata, { now, skewSeconds: s.clock_skew_seconds ?? DEFAULT_CLOCK_SKEW_SECONDS });
    if (!idp) throw badRequest('invalid_connection', 'A SAML connection needs metadata_xml, metadata_url, or the IdP fields.');
    const sp = createSpKeyPair(`portcullis ${id}`, now);
    return {
      ...idp,
      metadata_refreshed_at: idp.metadata_url ? now.toISOString() : null,
      metadata_error: null,
      want_assertions_signed: s.want_assertions_signed ?? true,
      want_response_signed: s.want_response_signed ?? false,
      allow_idp_initiated: s.allow_idp_initiated ?? false,
      idp_initiated_app_id: s.idp_initiated_app_id ?? null,
      clock_skew_seconds: s.clock_skew_seconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
      allow_sha1_signatures: s.allow_sha1_signatures ?? false,
      sp_certificate: sp.certificatePem,
      sp_private_key_sealed: this.box.seal(sp.privateKeyPem, SP_KEY_CONTEXT),
      sp_certificate_created_at: now.toISOString(),
      sp_pending: null,
      sp_previous: null,
    };
  }

  /**
   * A binding names a live SCIM directory of this tenant (another tenant's reads as unknown).
   * Checked inside the change's transaction, so a directory deleted meanwhile cannot be bound.
   */
  #assertDirectory(tenantId: string, directoryId: string | null): void {
    if (directoryId === null) return;
    if (!this.storage.forTenant(tenantId).scimDirectories.find(directoryId)) {
      throw badRequest('invalid_connection', 'directory_id names no SCIM directory of this tenant.');
    }
  }

  /** The app IdP-initiated sign-ins land in: one of the tenant's apps, or a multi-tenant app (another tenant's reads as unknown). */
  #assertLandingApp(tenantId: string, appId: string | null | undefined): void {
    if (appId === undefined || appId === null) return;
    const app = this.#apps.findLive(appId);
    if (!app || (!app.multi_tenant && app.tenant_id !== tenantId)) {
      throw badRequest('invalid_connection', 'saml.idp_initiated_app_id names no app of this tenant.');
    }
  }

  /**
   * IdP-initiated sign-ins land in an app's `initiate_login_uri` (OIDC third-party-initiated
   * login): switching them on names such an app, or every tile click would fail. (The app can
   * still change later; a sign-in then refuses as `saml_idp_initiated_no_app`.)
   */
  #assertIdpInitiatedLands(allow: boolean, appId: string | null): void {
    if (!allow) return;
    if (!appId || !this.#apps.findLive(appId)?.initiate_login_uri) {
      throw badRequest('invalid_connection', 'saml.allow_idp_initiated needs saml.idp_initiated_app_id: an app with an initiate_login_uri, where IdP-initiated sign-ins land.');
    }
  }

  /** An operator who refuses SHA-1 everywhere (`PORTCULLIS_SAML_SHA1=refuse`) lets no connection allow it. */
  #assertSha1Allowed(allow: boolean | undefined): void {
    if (allow === true && this.policy.refuseSha1) {
      throw badRequest('invalid_connection', 'saml.allow_sha1_signatures cannot be true: SHA-1 signatures are refused for every connection of this deployment (PORTCULLIS_SAML_SHA1=refuse). Set the IdP to sign with SHA-256.');
    }
  }

  async #patchSaml(tenantId: string, current: SamlSettings, s: NonNullable<ConnectionPatch['saml']>): Promise<SamlSettings> {
    this.#assertLandingApp(tenantId, s.idp_initiated_app_id);
    this.#assertSha1Allowed(s.allow_sha1_signatures);
    if (s.allow_idp_initiated !== undefined || s.idp_initiated_app_id !== undefined) {
      this.#assertIdpInitiatedLands(s.allow_idp_initiated ?? current.allow_idp_initiated, s.idp_initiated_app_id === undefined ? current.idp_initiated_app_id : s.idp_initiated_app_id);
    }
    const idp = await resolveSamlIdp(s, this.fetchMetadata, { now: this.clock.now(), skewSeconds: s.clock_skew_seconds ?? current.clock_skew_seconds }, current);
    // New IdP settings were just read: a metadata URL counts as refreshed now (an earlier
    // refresh's error no longer holds); metadata XML or explicit fields have no URL to refresh.
    const imported = s.metadata_url !== undefined || s.metadata_xml !== undefined || idp !== current;
    return {
      ...current,
      ...idp,
      ...(imported && { metadata_refreshed_at: idp?.metadata_url ? this.clock.now().toISOString() : null, metadata_error: null }),
      want_assertions_signed: s.want_assertions_signed ?? current.want_assertions_signed,
      want_response_signed: s.want_response_signed ?? current.want_response_signed,
      allow_idp_initiated: s.allow_idp_initiated ?? current.allow_idp_initiated,
      idp_initiated_app_id: s.idp_initiated_app_id === undefined ? current.idp_initiated_app_id : s.idp_initiated_app_id,
      clock_skew_seconds: s.clock_skew_seconds ?? current.clock_skew_seconds,
      allow_sha1_signatures: s.allow_sha1_signatures ?? current.allow_sha1_signatures,
    };
  }
}

const mappedRelations = (c: Connection) => [...new Set(c.group_mappings.map((m) => m.relation))];

/**
 * The relations of the (IdP group, relation) pairs `before` had and `after` has not: a relation
 * moved to another IdP group leaves those who had it through the old one too (they get it back at
 * their next sign-in if the new group is theirs), as a relation no longer mapped at all does.
 */
function relationsLeaving(before: Connection, after: Connection): string[] {
  const pair = (m: { idp_group: string; relation: string }) => `${m.idp_group}\n${m.relation}`;
  const kept = new Set(after.group_mappings.map(pair));
  return [...new Set(before.group_mappings.filter((m) => !kept.has(pair(m))).map((m) => m.relation))];
}
