import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../lib/clock.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import type { Actor } from '../audit/events.ts';

/** Per-tenant SSO behaviour. */
export interface SsoSettings {
  /** Create a directory user at first SSO login when none matches (off: only SCIM-provisioned users may sign in). */
  jit_provisioning: boolean;
}

const DEFAULTS: SsoSettings = { jit_provisioning: false };

export class SsoSettingsService {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  get(tenantId: string): SsoSettings {
    const row = this.storage.sql
      .prepare<[string], { jit_provisioning: number }>('SELECT jit_provisioning FROM sso_tenant_settings WHERE tenant_id = ?')
      .get(tenantId);
    return row ? { jit_provisioning: row.jit_provisioning === 1 } : { ...DEFAULTS };
  }

  update(tenantId: string, patch: Partial<SsoSettings>, actor: Actor): SsoSettings {
    return this.storage.transaction(() => {
      const before = this.get(tenantId);
      const after = { ...before, ...patch };
      // Settings as they already are: no write, no event.
      if (isDeepStrictEqual(before, after)) return before;
      this.storage.sql
        .prepare(
          `INSERT INTO sso_tenant_settings (tenant_id, jit_provisioning, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (tenant_id) DO UPDATE SET jit_provisioning = excluded.jit_provisioning, updated_at = excluded.updated_at`,
        )
        .run(tenantId, after.jit_provisioning ? 1 : 0, this.clock.now().toISOString());
      this.audit.record(tenantId, { action: 'sso.settings.updated', target: { type: 'sso_settings', id: tenantId }, before, after }, actor);
      return after;
    });
  }
}
