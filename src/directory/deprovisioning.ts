import type { Actor } from '../audit/events.ts';
import type { Staged } from '../lib/staged.ts';
import { flushEach } from './authz-tuples.ts';

/**
 * Why a user's access is revoked; recorded in the audit event. `scim_adopted`: a just-in-time
 * user was adopted into a directory a connection is bound to, so what it obtained through other
 * connections before is revoked (its authorization tuples are kept; see UserWrites.create).
 */
export type DeprovisionReason = 'scim_deactivated' | 'scim_deleted' | 'scim_adopted' | 'admin';

/** The name of the authz revoker (the user's authorization tuples), for `except`. */
export const AUTHZ_TUPLES_REVOKER = 'authz_tuples';

export interface DeprovisionTarget {
  tenantId: string;
  /** The directory user id (`user:<id>` in the authorization store). */
  userId: string;
  reason: DeprovisionReason;
  /** The directory the user is in after the change (the adopting one for `scim_adopted`); null outside any. */
  directoryId?: string | null;
  /** Whose request deprovisions (the SCIM token's actor); the changes a revoker audits are theirs. Absent: the system. */
  actor?: Actor;
}

/**
 * Something that holds access for a user and must drop it when the user is deprovisioned:
 * sessions, refresh tokens and grants (SSO/OIDC), authorization tuples (authz). SCIM calls every
 * registered revoker inside the deactivating transaction and awaits `flush` before its 2xx, so
 * the user has no access left once the response is sent (DESIGN invariant 5).
 */
export interface UserRevoker {
  /** Stable name used as the key in audit metadata, e.g. 'sessions', 'refresh_tokens', 'authz_tuples'. */
  readonly name: string;
  /** Runs only for these reasons (absent: for every reason, and counted in every audit event). */
  readonly reasons?: readonly DeprovisionReason[];
  /** Must be called inside the caller's storage.transaction. `staged`/`flush` give the count revoked. */
  revoke(target: DeprovisionTarget): Staged<number>;
}

/** The registry revokers plug into (built once in services.ts). */
export class Deprovisioner {
  readonly #revokers: UserRevoker[] = [];

  register(revoker: UserRevoker): void {
    if (this.#revokers.some((r) => r.name === revoker.name)) throw new Error(`revoker ${revoker.name} already registered`);
    this.#revokers.push(revoker);
  }

  /**
   * Runs every revoker's in-transaction part (call inside storage.transaction), but those named
   * in `except` and those for other reasons. Returns the counts so far (one per revoker run) and a `flush` that finishes the
   * remote parts and resolves to final counts.
   */
  revokeAll(target: DeprovisionTarget, options: { except?: readonly string[] } = {}): Staged<Record<string, number>> {
    const except = options.except ?? [];
    const parts = this.#revokers.filter((r) => !except.includes(r.name) && (r.reasons?.includes(target.reason) ?? true)).map((r) => [r.name, r.revoke(target)] as const);
    const staged = Object.fromEntries(parts.map(([name, p]) => [name, p.staged]));
    return {
      staged,
      // Every revoker finishes, also after another failed (OpenFGA down must not keep the apps from hearing of the ended sessions).
      flush: async () => {
        const counts = await flushEach(parts.map(([, p]) => p));
        return Object.fromEntries(parts.map(([name], i) => [name, counts[i] as number]));
      },
    };
  }
}
