import type { Connection } from '../connections/connection.ts';
import type { IdpIdentity } from '../identity.ts';
import type { LoginDeps } from './deps.ts';
import { LoginFailure } from './failures.ts';
import { planLink, type LinkedBy } from './linking.ts';

/**
 * What an admin's test login shows about linking: which directory user a real sign-in with the
 * same identity would become, in which directory, or why it would be refused. Nothing is written
 * (no user is created just in time).
 */
export interface LinkPreview {
  /** `existing_user`: linked to a directory user; `new_user`: one would be created just in time; `refused`: the sign-in would fail. */
  outcome: 'existing_user' | 'new_user' | 'refused';
  user_id: string | null;
  /** The directory of the user linked to (or of the user matched, when refused); null: none. */
  directory_id: string | null;
  linked_by: LinkedBy | null;
  /** The sign-in failure reason when refused. */
  reason: string | null;
}

export function previewLink(deps: LoginDeps, connection: Connection, identity: IdpIdentity): LinkPreview {
  try {
    const plan = planLink(deps, connection.tenant_id, connection, identity);
    return plan.kind === 'existing'
      ? { outcome: 'existing_user', user_id: plan.user.id, directory_id: plan.user.directory_id, linked_by: plan.linkedBy, reason: null }
      : { outcome: 'new_user', user_id: null, directory_id: plan.directoryId, linked_by: 'jit', reason: null };
  } catch (err) {
    if (!(err instanceof LoginFailure)) throw err;
    return { outcome: 'refused', user_id: err.context.userId ?? null, directory_id: err.context.directoryId ?? null, linked_by: null, reason: err.reason };
  }
}
