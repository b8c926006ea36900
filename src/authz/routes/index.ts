import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from '../../services.ts';
import { bearerAuth, type Authenticator } from '../../http/auth.ts';
import { createAccessLog } from '../../observability/logger.ts';
import type { NodeCheckLaneDeps } from './node-check.ts';
import type { StoreOwnerLookup } from './access.ts';
import { bodyLimit } from '../../http/body-limit.ts';
import { idempotency } from '../../http/idempotency.ts';
import { assertionRoutes } from './assertions.ts';
import type { AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, openFgaErrors } from './errors.ts';
import { listRoutes } from './lists.ts';
import { modelRoutes } from './models.ts';
import { queryRoutes } from './queries.ts';
import { storeRoutes } from './stores.ts';
import { tupleRoutes } from './tuples.ts';
import { protoJsonNulls } from './proto-nulls.ts';
import { jsonDepthLimit } from './json-depth.ts';

/** Who may call `/stores`: API keys, then access tokens of client-credentials apps. */
const authzAuthenticators = (s: Services): Authenticator[] => [(token) => s.apiKeys.authenticate(token), s.oidcTokenAuthenticator];
/** The live tenant owning a store id. */
const storeOwner = (s: Services): StoreOwnerLookup => (storeId) => s.storage.unscoped.tenants.findByStoreId(storeId);

/** What the Node-level Check lane in front of the application needs (see node-check.ts). */
export function nodeCheckLaneDeps(s: Services): NodeCheckLaneDeps {
  return {
    authenticators: authzAuthenticators(s),
    limiter: s.limiter,
    owner: storeOwner(s),
    check: (storeId, body) => s.authz.check(storeId, body),
    metrics: s.metrics,
    accessLog: createAccessLog(s.logger),
    trustProxy: s.config.trustProxy,
    bodyLimitBytes: s.config.bodyLimitBytes,
    sharedReading: (fn) => s.storage.changes.shared(fn),
  };
}

/**
 * `/stores`: the OpenFGA v1 HTTP API over the tenant's store, for `@openfga/sdk` and the `fga`
 * CLI. Bearer API keys with the `authz:*` scopes; errors in OpenFGA's `{code, message}` shape.
 */
export function authzApi(s: Services): OpenAPIHono {
  const deps: AuthzRouteDeps = {
    engine: s.authz,
    tenants: s.tenants,
    owner: storeOwner(s),
    assertions: s.authzAssertions,
    audit: { storage: s.storage, audit: s.audit },
  };
  const app = createFgaRouter();
  app.use('*', openFgaErrors);
  app.use('*', bodyLimit(s.config.bodyLimitBytes));
  app.use(
    '*',
    bearerAuth({
      authenticators: authzAuthenticators(s),
      limiter: s.limiter,
      metrics: s.metrics,
      realm: 'portcullis-authz',
    }),
  );
  app.use('*', idempotency({ store: s.storage.unscoped.idempotency, clock: s.clock }));
  app.use('*', jsonDepthLimit);
  app.use('*', protoJsonNulls);
  for (const routes of [storeRoutes, modelRoutes, tupleRoutes, queryRoutes, listRoutes, assertionRoutes]) app.route('/', routes(deps));
  return app;
}
