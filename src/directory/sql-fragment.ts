/** A piece of SQL and its positional parameters, composed by the SCIM filter translator. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** What a list query over one directory's resources asks of a store. */
export interface ResourceQuery {
  directoryId: string;
  /** Extra condition over the resource alias (`u` for users, `g` for groups). */
  where?: SqlFragment;
  /** ORDER BY expression over the same alias; the id breaks ties. */
  orderBy?: { sql: string; descending: boolean };
  offset: number;
  limit: number;
}

export const fragment = (sql: string, ...params: unknown[]): SqlFragment => ({ sql, params });
