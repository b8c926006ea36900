import type { MiddlewareHandler } from 'hono';
import type { StagedTupleWriter } from '../../../authz/staged-writer.ts';
import type { ScimRequest } from '../request.ts';

/**
 * A SCIM write answers only once its tenant has no tuple work left queued for a remote OpenFGA
 * server: what earlier requests left behind (they answered 5xx after their directory change had
 * committed) is applied before the answer goes out, after this request's own work. So an IdP's
 * retry finishes it even when there is nothing left to change in the directory (the group is
 * gone: 404; the member already removed: 204); and when it cannot be applied the request answers
 * as the first attempt did (5xx, the server's error: the IdP keeps retrying) rather than with an
 * answer saying nothing is left to do. A deprovisioning still revokes sessions and tokens first.
 *
 * A `POST` (a create, a Bulk) waits for the queue before it runs instead: it cannot be answered
 * 5xx once it ran — its retry would be refused as a duplicate, the ids it was given lost — so a
 * queue that cannot be applied answers 503 with nothing created.
 *
 * Reads do not wait; other tenants' queues are not touched. Nothing is ever queued on the
 * embedded engine.
 */
export function finishPendingTupleWork(writer: StagedTupleWriter): MiddlewareHandler {
  return async function finishPendingTupleWorkMiddleware(c, next) {
    const req = c.get('scimRequest') as ScimRequest | undefined;
    const read = c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.path.endsWith('/.search');
    if (!req || read) return next();
    const creates = c.req.method === 'POST';
    if (creates) await writer.finishPending(req.ctx.storeId);
    await next();
    // A 5xx already tells the IdP to retry (usually: its own work just failed on the server).
    if (!creates && c.res.status < 500) await writer.finishPending(req.ctx.storeId);
  };
}
