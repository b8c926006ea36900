import { parseNDJSONStream, type ListObjectsRequest, type ListUsersRequest, type ListUsersResponse, type OpenFgaApi } from '@openfga/sdk';
import { OpenFgaError } from '../errors.ts';
import type { ListResult } from '../engine.ts';
import { fga, toOpenFgaError } from './errors.ts';

/** The server's list limits, as configured on it (`--listObjects-deadline`, `--listUsers-max-results`, …). */
export interface ServerListLimits {
  /** 0 when the server has no deadline. */
  deadlineMs: number;
  /** 0 when the server returns every user. */
  listUsersMaxResults: number;
}

/**
 * ListObjects, complete where the API allows: StreamedListObjects has no maximum result count,
 * so only the server's deadline can cut it. The server ends a cut stream like a finished one, so
 * a call that lasted the whole deadline is marked `truncated` (conservatively: it may have
 * finished just in time). An error in the stream is re-asked through plain ListObjects, whose
 * answer carries the server's precise error code.
 */
export async function listObjectsCompletely(
  api: OpenFgaApi,
  storeId: string,
  body: ListObjectsRequest,
  limits: ServerListLimits,
): Promise<ListResult<{ objects: string[] }>> {
  const started = performance.now();
  const objects: string[] = [];
  let failed = false;
  try {
    const res = (await api.streamedListObjects(storeId, body)) as { $response?: { data?: unknown } };
    const source = (res?.$response?.data ?? res) as Parameters<typeof parseNDJSONStream>[0];
    for await (const line of parseNDJSONStream<{ result?: { object?: string }; error?: unknown }>(source)) {
      if (line?.error) {
        failed = true;
        break;
      }
      if (line?.result?.object) objects.push(line.result.object);
    }
  } catch (err) {
    const mapped = await toOpenFgaError(err);
    if (mapped.status >= 500 || mapped.status === 404) throw mapped;
    failed = true;
  }
  if (failed) {
    await fga(() => api.listObjects(storeId, body));
    throw new OpenFgaError(500, 'internal_error', 'The OpenFGA server broke off a streamed list-objects answer.');
  }
  const elapsed = performance.now() - started;
  return limits.deadlineMs > 0 && elapsed >= limits.deadlineMs ? { objects, truncated: true } : { objects };
}

/** ListUsers has no streamed form: its answer is marked truncated when it hits the maximum or the deadline. */
export async function listUsersMarked(
  api: OpenFgaApi,
  storeId: string,
  body: ListUsersRequest,
  limits: ServerListLimits,
): Promise<ListResult<ListUsersResponse>> {
  const started = performance.now();
  const res = await fga(() => api.listUsers(storeId, body));
  const elapsed = performance.now() - started;
  const users = res.users ?? [];
  const cut =
    (limits.listUsersMaxResults > 0 && users.length >= limits.listUsersMaxResults) ||
    (limits.deadlineMs > 0 && elapsed >= limits.deadlineMs);
  return cut ? { users, truncated: true } : { users };
}
