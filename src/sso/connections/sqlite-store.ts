import type { Sql } from '../../storage/database.ts';
import type { Connection, GroupMapping, IdpCertificate, MappedAttribute, OidcSettings, SamlSettings, SpKeyPair } from './connection.ts';

interface ConnectionRow {
  id: string;
  tenant_id: string;
  name: string;
  protocol: Connection['protocol'];
  status: Connection['status'];
  attribute_preset: Connection['attribute_preset'];
  directory_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

type SamlRow = Omit<SamlSettings, 'idp_certificates' | 'want_assertions_signed' | 'want_response_signed' | 'allow_idp_initiated' | 'allow_sha1_signatures' | 'sp_pending' | 'sp_previous'> & {
  want_assertions_signed: number;
  want_response_signed: number;
  allow_idp_initiated: number;
  allow_sha1_signatures: number;
} & SpPairColumns<'pending'> &
  SpPairColumns<'previous'>;
type SpPairColumns<K extends string> = Record<`sp_${K}_certificate` | `sp_${K}_private_key_sealed` | `sp_${K}_created_at`, string | null>;

const spPair = (r: SamlRow, k: 'pending' | 'previous'): SpKeyPair | null => {
  const certificate = r[`sp_${k}_certificate`];
  const sealed = r[`sp_${k}_private_key_sealed`];
  return certificate && sealed ? { certificate, private_key_sealed: sealed, created_at: r[`sp_${k}_created_at`] } : null;
};
type OidcRow = Omit<OidcSettings, 'entra_multi_tenant' | 'allowed_entra_tenants' | 'allowed_google_domains'> & {
  entra_multi_tenant: number;
  allowed_entra_tenants: string | null;
  allowed_google_domains: string | null;
};

const withoutPairs = ({ sp_pending: _p, sp_previous: _q, ...rest }: SamlSettings) => rest;

/** Connections of one tenant, with their protocol settings, mappings and IdP certificates. */
export class SqliteTenantConnections {
  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  insert(c: Connection): void {
    this.sql
      .prepare(
        `INSERT INTO sso_connections (id, tenant_id, name, protocol, status, attribute_preset, directory_id, version, created_at, updated_at)
         VALUES (@id, @tenant_id, @name, @protocol, @status, @attribute_preset, @directory_id, @version, @created_at, @updated_at)`,
      )
      .run({ ...c, tenant_id: this.tenantId });
    this.#writeDetails(c);
  }

  /** Writes every mutable field and bumps the version. */
  update(c: Connection, updatedAt: string): void {
    this.sql
      .prepare(
        `UPDATE sso_connections SET name = @name, status = @status, attribute_preset = @attribute_preset, directory_id = @directory_id,
           version = version + 1, updated_at = @updated_at WHERE id = @id AND tenant_id = @tenant_id`,
      )
      .run({ ...c, tenant_id: this.tenantId, updated_at: updatedAt });
    this.#writeDetails(c);
  }

  /** Also releases the connection's directory binding. */
  markDeleted(id: string, at: string): void {
    this.sql
      .prepare("UPDATE sso_connections SET deleted_at = ?, status = 'inactive', directory_id = NULL, updated_at = ? WHERE id = ? AND tenant_id = ?")
      .run(at, at, id, this.tenantId);
  }

  /** The live connections bound to this directory (any status), by id. */
  boundTo(directoryId: string): { id: string; name: string }[] {
    return this.sql
      .prepare<[string, string], { id: string; name: string }>(
        'SELECT id, name FROM sso_connections WHERE tenant_id = ? AND directory_id = ? AND deleted_at IS NULL ORDER BY id',
      )
      .all(this.tenantId, directoryId);
  }

  /** Whether some live connection is bound to this directory (one probe of a partial index). */
  isBound(directoryId: string): boolean {
    return (
      this.sql
        .prepare<[string, string], { bound: number }>('SELECT 1 AS bound FROM sso_connections WHERE tenant_id = ? AND directory_id = ? AND deleted_at IS NULL LIMIT 1')
        .get(this.tenantId, directoryId) !== undefined
    );
  }

  /** Every directory some live connection is bound to. */
  boundDirectories(): string[] {
    return this.sql
      .prepare<[string], { directory_id: string }>(
        'SELECT DISTINCT directory_id FROM sso_connections WHERE tenant_id = ? AND directory_id IS NOT NULL AND deleted_at IS NULL ORDER BY directory_id',
      )
      .all(this.tenantId)
      .map((r) => r.directory_id);
  }

  find(id: string): Connection | undefined {
    const row = this.sql
      .prepare<[string, string], ConnectionRow>('SELECT * FROM sso_connections WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL')
      .get(id, this.tenantId);
    return row && this.#hydrate(row);
  }

  list(afterId: string | undefined, limit: number, status?: Connection['status']): Connection[] {
    return this.sql
      .prepare<[string, string, string | null, string | null, number], ConnectionRow>(
        `SELECT * FROM sso_connections WHERE tenant_id = ? AND deleted_at IS NULL AND id > ? AND (? IS NULL OR status = ?)
         ORDER BY id LIMIT ?`,
      )
      .all(this.tenantId, afterId ?? '', status ?? null, status ?? null, limit)
      .map((r) => this.#hydrate(r));
  }

  #hydrate(row: ConnectionRow): Connection {
    const mappings = this.sql
      .prepare<[string], { attribute: MappedAttribute; source: string }>(
        'SELECT attribute, source FROM sso_attribute_mappings WHERE connection_id = ?',
      )
      .all(row.id);
    const groups = this.sql
      .prepare<[string], GroupMapping>('SELECT idp_group, relation FROM sso_group_mappings WHERE connection_id = ? ORDER BY idp_group, relation')
      .all(row.id);
    return {
      ...row,
      attribute_mapping: Object.fromEntries(mappings.map((m) => [m.attribute, m.source])),
      group_mappings: groups,
      saml: row.protocol === 'saml' ? this.#saml(row.id) : null,
      oidc: row.protocol === 'oidc' ? this.#oidc(row.id) : null,
    };
  }

  #saml(id: string): SamlSettings | null {
    const r = this.sql.prepare<[string], SamlRow & { connection_id: string }>('SELECT * FROM sso_saml_settings WHERE connection_id = ?').get(id);
    if (!r) return null;
    const certs = this.sql
      .prepare<[string], IdpCertificate>('SELECT fingerprint, pem, not_after FROM sso_saml_idp_certs WHERE connection_id = ? ORDER BY fingerprint')
      .all(id);
    const {
      connection_id: _c,
      sp_pending_certificate: _pc,
      sp_pending_private_key_sealed: _pk,
      sp_pending_created_at: _pa,
      sp_previous_certificate: _qc,
      sp_previous_private_key_sealed: _qk,
      sp_previous_created_at: _qa,
      ...rest
    } = r;
    return {
      ...rest,
      sp_pending: spPair(r, 'pending'),
      sp_previous: spPair(r, 'previous'),
      idp_certificates: certs,
      want_assertions_signed: r.want_assertions_signed === 1,
      want_response_signed: r.want_response_signed === 1,
      allow_idp_initiated: r.allow_idp_initiated === 1,
      allow_sha1_signatures: r.allow_sha1_signatures === 1,
    };
  }

  #oidc(id: string): OidcSettings | null {
    const r = this.sql.prepare<[string], OidcRow & { connection_id: string }>('SELECT * FROM sso_oidc_settings WHERE connection_id = ?').get(id);
    if (!r) return null;
    const { connection_id: _c, ...rest } = r;
    return {
      ...rest,
      entra_multi_tenant: r.entra_multi_tenant === 1,
      allowed_entra_tenants: (r.allowed_entra_tenants ?? '').split(' ').filter(Boolean),
      allowed_google_domains: (r.allowed_google_domains ?? '').split(' ').filter(Boolean),
    };
  }

  #writeDetails(c: Connection): void {
    const id = c.id;
    this.sql.prepare('DELETE FROM sso_attribute_mappings WHERE connection_id = ?').run(id);
    const mapping = this.sql.prepare('INSERT INTO sso_attribute_mappings (connection_id, attribute, source) VALUES (?, ?, ?)');
    for (const [attribute, source] of Object.entries(c.attribute_mapping)) if (source) mapping.run(id, attribute, source);
    this.sql.prepare('DELETE FROM sso_group_mappings WHERE connection_id = ?').run(id);
    const group = this.sql.prepare('INSERT OR IGNORE INTO sso_group_mappings (connection_id, idp_group, relation) VALUES (?, ?, ?)');
    for (const g of c.group_mappings) group.run(id, g.idp_group, g.relation);
    if (c.saml) this.#writeSaml(id, c.saml);
    if (c.oidc) this.#writeOidc(id, c.oidc);
  }

  #writeSaml(id: string, s: SamlSettings): void {
    this.sql
      .prepare(
        `INSERT INTO sso_saml_settings (connection_id, idp_entity_id, idp_sso_url, metadata_url, metadata_refreshed_at, metadata_error,
           metadata_valid_until, metadata_cache_duration_seconds,
           want_assertions_signed, want_response_signed, allow_idp_initiated, idp_initiated_app_id, clock_skew_seconds,
           allow_sha1_signatures, sp_private_key_sealed, sp_certificate, sp_certificate_created_at)
         VALUES (@id, @idp_entity_id, @idp_sso_url, @metadata_url, @metadata_refreshed_at, @metadata_error,
           @metadata_valid_until, @metadata_cache_duration_seconds,
           @want_assertions_signed, @want_response_signed, @allow_idp_initiated, @idp_initiated_app_id, @clock_skew_seconds,
           @allow_sha1_signatures, @sp_private_key_sealed, @sp_certificate, @sp_certificate_created_at)
         ON CONFLICT (connection_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id, idp_sso_url = excluded.idp_sso_url,
           metadata_url = excluded.metadata_url, metadata_refreshed_at = excluded.metadata_refreshed_at,
           metadata_error = excluded.metadata_error, metadata_valid_until = excluded.metadata_valid_until,
           metadata_cache_duration_seconds = excluded.metadata_cache_duration_seconds, want_assertions_signed = excluded.want_assertions_signed,
           want_response_signed = excluded.want_response_signed, allow_idp_initiated = excluded.allow_idp_initiated,
           idp_initiated_app_id = excluded.idp_initiated_app_id, clock_skew_seconds = excluded.clock_skew_seconds,
           allow_sha1_signatures = excluded.allow_sha1_signatures`,
      )
      .run({
        ...withoutPairs(s),
        id,
        want_assertions_signed: s.want_assertions_signed ? 1 : 0,
        want_response_signed: s.want_response_signed ? 1 : 0,
        allow_idp_initiated: s.allow_idp_initiated ? 1 : 0,
        allow_sha1_signatures: s.allow_sha1_signatures ? 1 : 0,
      });
    this.sql.prepare('DELETE FROM sso_saml_idp_certs WHERE connection_id = ?').run(id);
    const cert = this.sql.prepare('INSERT OR IGNORE INTO sso_saml_idp_certs (connection_id, fingerprint, pem, not_after) VALUES (?, ?, ?, ?)');
    for (const x of s.idp_certificates) cert.run(id, x.fingerprint, x.pem, x.not_after);
  }

  /** Replaces a SAML connection's SP key pairs (rotation); the caller bumps the version with `update`. */
  writeSpKeys(id: string, s: Pick<SamlSettings, 'sp_certificate' | 'sp_private_key_sealed' | 'sp_certificate_created_at' | 'sp_pending' | 'sp_previous'>): void {
    this.sql
      .prepare(
        `UPDATE sso_saml_settings SET sp_certificate = ?, sp_private_key_sealed = ?, sp_certificate_created_at = ?,
           sp_pending_certificate = ?, sp_pending_private_key_sealed = ?, sp_pending_created_at = ?,
           sp_previous_certificate = ?, sp_previous_private_key_sealed = ?, sp_previous_created_at = ?
         WHERE connection_id = ?`,
      )
      .run(
        s.sp_certificate,
        s.sp_private_key_sealed,
        s.sp_certificate_created_at,
        s.sp_pending?.certificate ?? null,
        s.sp_pending?.private_key_sealed ?? null,
        s.sp_pending?.created_at ?? null,
        s.sp_previous?.certificate ?? null,
        s.sp_previous?.private_key_sealed ?? null,
        s.sp_previous?.created_at ?? null,
        id,
      );
  }

  #writeOidc(id: string, o: OidcSettings): void {
    this.sql
      .prepare(
        `INSERT INTO sso_oidc_settings (connection_id, issuer, client_id, client_secret_sealed, scopes, entra_multi_tenant, allowed_entra_tenants, allowed_google_domains)
         VALUES (@id, @issuer, @client_id, @client_secret_sealed, @scopes, @entra_multi_tenant, @allowed_entra_tenants, @allowed_google_domains)
         ON CONFLICT (connection_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
           client_secret_sealed = excluded.client_secret_sealed, scopes = excluded.scopes,
           entra_multi_tenant = excluded.entra_multi_tenant, allowed_entra_tenants = excluded.allowed_entra_tenants,
           allowed_google_domains = excluded.allowed_google_domains`,
      )
      .run({
        ...o,
        id,
        entra_multi_tenant: o.entra_multi_tenant ? 1 : 0,
        allowed_entra_tenants: o.allowed_entra_tenants.join(' ') || null,
        allowed_google_domains: o.allowed_google_domains.join(' ') || null,
      });
  }
}

/** Connection lookups by id before the tenant is known (ACS and callback URLs carry only the id). */
export class SqliteConnectionLookup {
  constructor(private readonly sql: Sql) {}

  tenantOf(connectionId: string): string | undefined {
    return this.head(connectionId)?.tenant_id;
  }

  /** Tenant and version of a live connection: enough to tell whether a parsed copy is current. */
  head(connectionId: string): { tenant_id: string; version: number } | undefined {
    return this.sql
      .prepare<[string], { tenant_id: string; version: number }>('SELECT tenant_id, version FROM sso_connections WHERE id = ? AND deleted_at IS NULL')
      .get(connectionId);
  }

  /**
   * Active SAML connections of live tenants by the expiry of their newest IdP certificate: `expired` before
   * `nowIso`, `expiring` before `soonIso`, otherwise `valid` (a certificate without a readable
   * date counts as valid: nothing to warn about).
   */
  idpCertificateHealth(nowIso: string, soonIso: string): Record<'valid' | 'expiring' | 'expired', number> {
    const rows = this.sql
      .prepare<[{ now: string; soon: string }], { state: 'valid' | 'expiring' | 'expired'; n: number }>(
        `SELECT CASE WHEN newest IS NOT NULL AND newest < @now THEN 'expired' WHEN newest IS NOT NULL AND newest < @soon THEN 'expiring' ELSE 'valid' END AS state,
           count(*) AS n
         FROM (SELECT c.id, max(k.not_after) AS newest FROM sso_connections c
               JOIN sso_saml_settings s ON s.connection_id = c.id
               JOIN tenants t ON t.id = c.tenant_id AND t.deleted_at IS NULL
               LEFT JOIN sso_saml_idp_certs k ON k.connection_id = c.id
               WHERE c.deleted_at IS NULL AND c.status = 'active' GROUP BY c.id)
         GROUP BY state`,
      )
      .all({ now: nowIso, soon: soonIso });
    const out = { valid: 0, expiring: 0, expired: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /**
   * The metadata bound of every active SAML connection of a live tenant (the connections
   * `idpCertificateHealth` counts), its clock skew, and whether a metadata URL refreshes it.
   */
  activeMetadataBounds(): { metadata_valid_until: string | null; clock_skew_seconds: number; from_url: 0 | 1 }[] {
    return this.sql
      .prepare<[], { metadata_valid_until: string | null; clock_skew_seconds: number; from_url: 0 | 1 }>(
        `SELECT s.metadata_valid_until, s.clock_skew_seconds, s.metadata_url IS NOT NULL AS from_url FROM sso_connections c
         JOIN sso_saml_settings s ON s.connection_id = c.id
         JOIN tenants t ON t.id = c.tenant_id AND t.deleted_at IS NULL
         WHERE c.deleted_at IS NULL AND c.status = 'active'`,
      )
      .all();
  }

  /** Records that the SP certificate with this fingerprint decrypted an assertion (see migration 0011). */
  noteDecryption(connectionId: string, fingerprint: string, at: string): void {
    this.sql
      .prepare(
        `INSERT INTO sso_sp_certificate_usage (connection_id, fingerprint, last_decrypted_at) VALUES (?, ?, ?)
         ON CONFLICT (connection_id, fingerprint) DO UPDATE SET last_decrypted_at = excluded.last_decrypted_at`,
      )
      .run(connectionId, fingerprint, at);
  }

  /** When each SP certificate of the connection last decrypted an assertion, by fingerprint. */
  decryptionUsage(connectionId: string): Record<string, string> {
    const rows = this.sql
      .prepare<[string], { fingerprint: string; last_decrypted_at: string }>('SELECT fingerprint, last_decrypted_at FROM sso_sp_certificate_usage WHERE connection_id = ?')
      .all(connectionId);
    return Object.fromEntries(rows.map((r) => [r.fingerprint, r.last_decrypted_at]));
  }

  /** Relations whose removal from a remote authorization server is still to be done (see migration 0010). */
  unmapPending(connectionId: string): string[] {
    const row = this.sql.prepare<[string], { unmap_pending: string | null }>('SELECT unmap_pending FROM sso_connections WHERE id = ?').get(connectionId);
    return (row?.unmap_pending ?? '').split(' ').filter(Boolean);
  }

  setUnmapPending(connectionId: string, relations: string[]): void {
    this.sql.prepare('UPDATE sso_connections SET unmap_pending = ? WHERE id = ?').run(relations.length > 0 ? [...new Set(relations)].sort().join(' ') : null, connectionId);
  }

  /** Connections, deleted ones included, with a removal still to be done. */
  withUnmapPending(): { id: string; tenant_id: string }[] {
    return this.sql.prepare<[], { id: string; tenant_id: string }>('SELECT id, tenant_id FROM sso_connections WHERE unmap_pending IS NOT NULL').all();
  }

  /**
   * SAML connections whose metadata URL is due for a refresh (not those of a deleted tenant): the
   * last attempt is older than `refreshMinutes`; or older than the document's `cacheDuration`; or
   * the document's `validUntil` comes before the next scheduled refresh (not for an `inactive`
   * connection, which signs nobody in). The last two wait at
   * least `floorSeconds` after an attempt, so a tiny `cacheDuration` or a document that stays
   * near (or past) its `validUntil` is not fetched at every pass. Once the document is past its
   * `validUntil` and the last attempt failed, the wait after an attempt is how long it had been
   * expired then (at least `floorSeconds`, at most an hour): the failures back off 5, 10, 20, 40
   * minutes … then hourly, derived from the stored bound, so a success or an imported document
   * (which moves or clears it) starts again from the fast first retry. An attempt recorded in the
   * future (the clock was ahead, then corrected) is due at once, not once the clock catches up.
   */
  metadataDue(now: Date, refreshMinutes: number, floorSeconds: number): { id: string; tenant_id: string }[] {
    return this.sql
      .prepare<[{ now: string; scheduled: string; floor: string; horizon: string; floorSeconds: number }], { id: string; tenant_id: string }>(
        `SELECT c.id, c.tenant_id FROM sso_connections c JOIN sso_saml_settings s ON s.connection_id = c.id
         JOIN tenants t ON t.id = c.tenant_id AND t.deleted_at IS NULL
         WHERE c.deleted_at IS NULL AND s.metadata_url IS NOT NULL
           AND (s.metadata_refreshed_at IS NULL OR s.metadata_refreshed_at < @scheduled OR s.metadata_refreshed_at > @now
             OR (s.metadata_refreshed_at <= @floor
               AND (s.metadata_error IS NULL OR s.metadata_valid_until IS NULL OR s.metadata_valid_until > s.metadata_refreshed_at
                 OR unixepoch(s.metadata_refreshed_at, 'subsec') + min(max(unixepoch(s.metadata_refreshed_at, 'subsec') - unixepoch(s.metadata_valid_until, 'subsec'), @floorSeconds), 3600) <= unixepoch(@now, 'subsec'))
               AND (
               unixepoch(s.metadata_refreshed_at, 'subsec') + max(s.metadata_cache_duration_seconds, @floorSeconds) <= unixepoch(@now, 'subsec')
               OR (s.metadata_valid_until < @horizon AND c.status <> 'inactive'))))`,
      )
      .all({
        now: now.toISOString(),
        scheduled: new Date(now.getTime() - refreshMinutes * 60_000).toISOString(),
        floor: new Date(now.getTime() - floorSeconds * 1000).toISOString(),
        horizon: new Date(now.getTime() + refreshMinutes * 60_000).toISOString(),
        floorSeconds,
      });
  }

  saveTestResult(connectionId: string, r: { tested_at: string; outcome: 'succeeded' | 'failed'; reason: string | null; received: unknown }): void {
    this.sql
      .prepare(
        `INSERT INTO sso_connection_tests (connection_id, tested_at, outcome, reason, received_json) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (connection_id) DO UPDATE SET tested_at = excluded.tested_at, outcome = excluded.outcome,
           reason = excluded.reason, received_json = excluded.received_json`,
      )
      .run(connectionId, r.tested_at, r.outcome, r.reason, JSON.stringify(r.received));
  }

  lastTest(connectionId: string): { tested_at: string; outcome: string; reason: string | null; received: unknown } | undefined {
    const row = this.sql
      .prepare<[string], { tested_at: string; outcome: string; reason: string | null; received_json: string }>(
        'SELECT tested_at, outcome, reason, received_json FROM sso_connection_tests WHERE connection_id = ?',
      )
      .get(connectionId);
    return row && { tested_at: row.tested_at, outcome: row.outcome, reason: row.reason, received: JSON.parse(row.received_json) };
  }
}
