import type { MiddlewareHandler } from 'hono';
import type { StagedTupleWriter } from '../../../authz/staged-writer.ts';
import type { ScimRequest } from '../request.ts';

/**
 * Before a SCIM write: tuple work that earlier requests of the tenant left queued for a remote
 * OpenFGA server (they answered 5xx after their directory change committed) is applied first, so
 * the IdP's retry finishes it, and this request's own changes land after it. When it cannot be
 * applied the request answers as the first attempt did (5xx: the IdP keeps retrying) rather than
 * with a 404 or 204 that says nothing is left to do. Reads do not wait; other tenants' queues are
 * not touched. Nothing is ever queued on the embedded engine.
 */
export function finishPendingTupleWork(writer: StagedTupleWriter): MiddlewareHandler {
  return async function finishPendingTupleWorkMiddleware(c, next) {
    const req = c.get('scimRequest') as ScimRequest | undefined;
    const reads = c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.path.endsWith('/.search');
    if (req && !reads) await writer.finishPending(req.ctx.storeId);
    await next();
  };
}
