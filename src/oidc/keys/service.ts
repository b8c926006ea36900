import type { Clock } from '../../lib/clock.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Actor } from '../../audit/events.ts';
import type { Storage } from '../../storage/storage.ts';
import { RETIRED_KEY_GRACE_SECONDS } from '../constants.ts';
import { publicJwk, type PrivateJwk, type SigningKeyStore } from './signing-keys.ts';

export interface RotationResult {
  retired: string[];
  created: string[];
  retired_keys_published_until: string;
}

/**
 * Lifecycle of the provider's signing keys: created on first start, rotated on demand
 * (`portcullis keys rotate`), each event audited on the platform chain.
 */
export class OidcKeyService {
  constructor(
    private readonly storage: Storage,
    private readonly keys: SigningKeyStore,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Generates the first ES256 and RS256 keys when there is no active key. Idempotent. */
  ensureKeys(actor: Actor): string[] {
    return this.storage.transaction(() => {
      if (this.keys.hasActiveKeys()) return [];
      const rows = this.keys.insertNewKeys(this.clock.now());
      const kids = rows.map((r) => r.kid);
      this.audit.recordPlatform({ action: 'oidc.keys.generated', target: { type: 'oidc_keys', id: 'signing' }, after: { kids } }, actor);
      return kids;
    });
  }

  rotate(actor: Actor): RotationResult {
    return this.storage.transaction(() => {
      const now = this.clock.now();
      const until = new Date(now.getTime() + RETIRED_KEY_GRACE_SECONDS * 1000);
      const retired = this.keys.retireActive(now, until);
      const created = this.keys.insertNewKeys(now).map((r) => r.kid);
      const result = { retired, created, retired_keys_published_until: until.toISOString() };
      this.audit.recordPlatform({ action: 'oidc.keys.rotated', target: { type: 'oidc_keys', id: 'signing' }, after: result }, actor);
      return result;
    });
  }

  /** Private JWKs for the provider: active keys first, so they are the ones that sign. */
  privateJwks(): PrivateJwk[] {
    return this.keys.current(this.clock.now()).map((k) => k.jwk);
  }

  publicJwks() {
    return this.privateJwks().map(publicJwk);
  }

  /** Changes when the published key set does (see SigningKeyStore.generation). */
  generation(): string {
    return this.keys.generation(this.clock.now());
  }
}
