import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcModelStore } from './model-store.ts';
import type { SqliteAppLookup } from '../apps/sqlite-store.ts';
import { clientMetadata } from '../apps/app.ts';

export interface AdapterDeps {
  models: OidcModelStore;
  apps: SqliteAppLookup;
}

/**
 * oidc-provider's Adapter over SQLite. Clients come from the admin-managed `oidc_apps` table
 * (read-only here: there is no dynamic registration); every other model is a row in
 * `oidc_models`. Expiry uses wall-clock time, like the provider itself.
 */
export function sqliteAdapterClass(deps: AdapterDeps) {
  return class SqliteAdapter implements Adapter {
    constructor(readonly name: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.name === 'Client') throw new Error('clients are managed through the admin API');
      deps.models.upsert({
        model: this.name,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        client_id: payload.clientId ?? null,
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        account_id: payload.accountId ?? null,
        expires_at: expiresIn ? Date.now() + expiresIn * 1000 : null,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') {
        const app = deps.apps.findLive(id);
        return app ? (clientMetadata(app) as AdapterPayload) : undefined;
      }
      return toPayload(deps.models.find(this.name, id, Date.now()));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return toPayload(deps.models.findBy(this.name, 'user_code', userCode, Date.now()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return toPayload(deps.models.findBy(this.name, 'uid', uid, Date.now()));
    }

    async consume(id: string): Promise<void> {
      deps.models.consume(this.name, id, Math.floor(Date.now() / 1000));
    }

    async destroy(id: string): Promise<void> {
      deps.models.destroy(this.name, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      deps.models.destroyByGrant(grantId);
    }
  };
}

function toPayload(row: { payload: string; consumed_at: number | null } | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
}
