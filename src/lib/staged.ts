/**
 * Work split around a SQLite transaction. `stage` runs inside the caller's transaction and does
 * everything that lives in the same database (so it commits or rolls back with the change that
 * caused it); what lives elsewhere (a remote OpenFGA server, back-channel logout calls) waits in
 * `flush`, which the caller awaits after commit and before it answers.
 */
export interface Staged<T> {
  /** Result of the in-transaction part. */
  readonly staged: T;
  /** Runs the remote part; resolves to its result. Callers await it before responding. */
  flush(): Promise<T>;
  /** True when `flush` does work outside this database (absent: it has nothing left to do). */
  readonly remote?: boolean;
}

export const stagedDone = <T>(value: T): Staged<T> => ({ staged: value, flush: async () => value });
