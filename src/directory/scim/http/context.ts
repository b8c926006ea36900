import type { MiddlewareHandler } from 'hono';
import { actorFrom } from '../../../http/actor.ts';
import { ApiError } from '../../../http/errors.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { ScimDirectoryService } from '../directory-service.ts';
import { detectDialect, Normalisations } from '../dialects.ts';
import { ScimError } from '../errors.ts';
import type { ScimRequest } from '../request.ts';
import '../../../http/context.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The SCIM request context, once the token matched the directory in the path. */
    scimRequest: ScimRequest | undefined;
  }
}

/**
 * After authentication: the token must belong to the directory named in the path (another
 * directory answers 404, as if it did not exist), and its tenant must be active. Builds the
 * request context and, once the handler is done, stores what was normalised.
 */
export function scimDirectoryContext(options: { storage: Storage; directories: ScimDirectoryService }): MiddlewareHandler {
  const { storage, directories } = options;
  return async function scimDirectoryContextMiddleware(c, next) {
    const principal = c.get('principal');
    const directoryId = c.req.param('directory') ?? '';
    if (principal?.kind !== 'scim' || principal.directoryId !== directoryId) {
      throw new ScimError(404, undefined, `Directory ${directoryId} not found.`);
    }
    const tenant = storage.unscoped.tenants.findById(principal.tenantId);
    if (!tenant || tenant.deleted_at) throw new ScimError(404, undefined, `Directory ${directoryId} not found.`);
    if (tenant.status !== 'active') throw new ApiError(403, 'tenant_suspended', 'The tenant is suspended.');
    const normalisations = new Normalisations(detectDialect(c.req.header('user-agent'), new URL(c.req.url).searchParams));
    c.set('scimRequest', {
      ctx: { tenantId: tenant.id, directoryId, storeId: tenant.authz_store_id, actor: actorFrom(c) },
      baseUrl: directories.baseUrlOf(directoryId),
      normalisations,
    });
    try {
      await next();
    } finally {
      if (normalisations.entries.length > 0) {
        storage.transaction(() =>
          directories.recordNormalisations(
            tenant.id,
            directoryId,
            {
              request_id: c.get('requestId'),
              method: c.req.method,
              path: c.req.path.slice(0, 500),
              user_agent: c.req.header('user-agent')?.slice(0, 512) ?? null,
            },
            normalisations.entries,
          ),
        );
      }
    }
  };
}
