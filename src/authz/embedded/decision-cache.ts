import type { CheckRequest, CheckResponse } from '@openfga/sdk';
import type { ChangeStamp } from '../../storage/change-stamp.ts';

/**
 * Answers of plain Checks (no contextual tuples, no request context), kept only while the
 * database has not changed at all: exact, not a time-to-live. Before every lookup the change
 * stamp is read afresh — this process' own writes (`total_changes()`) and commits by any other
 * process on the same file (`PRAGMA data_version`, no memo here; or the one reading of a
 * `ChangeStamp.shared` batch, taken after its requests arrived) — and any change anywhere
 * empties the whole cache, so an answer is never older than the last write. Inside a
 * transaction (uncommitted rows, possible rollback) every Check reads through.
 *
 * Errors are never kept. Keys hold the store, the requested model id ('' for the latest) and the
 * tuple key; a key part with a newline (never valid) cannot collide with a cached key, which has
 * exactly four separators.
 */
/** Answers kept by default (`PORTCULLIS_AUTHZ_DECISION_CACHE_SIZE`). */
export const DEFAULT_DECISION_CACHE_SIZE = 10_000;

export class DecisionCache {
  readonly #entries = new Map<string, boolean>();
  #stamp = -1;

  constructor(
    private readonly changes: ChangeStamp,
    private readonly maxEntries: number,
  ) {}

  /** `compute` must be synchronous and read-only (the embedded Check is both). */
  answer(storeId: string, body: CheckRequest, compute: () => CheckResponse): CheckResponse {
    const key = this.maxEntries > 0 && !this.changes.inTransaction ? keyOf(storeId, body) : undefined;
    if (key === undefined) return compute();
    const stamp = this.changes.exact();
    if (stamp !== this.#stamp) {
      this.#entries.clear();
      this.#stamp = stamp;
    }
    const known = this.#entries.get(key);
    if (known !== undefined) return { allowed: known };
    const res = compute();
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, res.allowed === true);
    return res;
  }
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null;

/** Undefined (not cached) unless the request is a plain Check whose every other part means "none". */
function keyOf(storeId: string, body: CheckRequest): string | undefined {
  const tk = body?.tuple_key;
  if (!tk || typeof tk.user !== 'string' || typeof tk.relation !== 'string' || typeof tk.object !== 'string') return undefined;
  const contextual: unknown = body.contextual_tuples;
  if (!isEmpty(contextual)) {
    const keys = (contextual as { tuple_keys?: unknown }).tuple_keys;
    if (typeof contextual !== 'object' || !(isEmpty(keys) || (Array.isArray(keys) && keys.length === 0))) return undefined;
  }
  const context: unknown = body.context;
  if (!isEmpty(context) && (typeof context !== 'object' || Array.isArray(context) || Object.keys(context as object).length > 0)) return undefined;
  const model: unknown = body.authorization_model_id ?? '';
  if (typeof model !== 'string') return undefined;
  return `${storeId}\n${model}\n${tk.object}\n${tk.relation}\n${tk.user}`;
}
