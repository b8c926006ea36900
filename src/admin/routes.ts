import type { Services } from '../services.ts';
import { createRouter } from '../http/router.ts';
import { bodyLimit } from '../http/body-limit.ts';
import { bearerAuth } from '../http/auth.ts';
import { idempotency } from '../http/idempotency.ts';
import { tenantRoutes } from '../tenants/routes.ts';
import { apiKeyRoutes } from '../apikeys/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import { appRoutes } from '../oidc/apps/routes.ts';
import { connectionRoutes } from '../sso/admin/connection-routes.ts';
import { domainRoutes } from '../sso/admin/domain-routes.ts';
import { scimAdminRoutes } from '../directory/scim/admin-routes.ts';

/** `/admin/v1`: platform keys, or tenant keys with the `admin` scope (audit also with `audit:read`). */
export function adminApi(s: Services) {
  const app = createRouter();
  app.use('*', bodyLimit(s.config.bodyLimitBytes));
  app.use(
    '*',
    bearerAuth({
      authenticators: [(token) => s.apiKeys.authenticate(token)],
      limiter: s.limiter,
      metrics: s.metrics,
      realm: 'portcullis-admin',
    }),
  );
  app.use('*', idempotency({ store: s.storage.unscoped.idempotency, clock: s.clock }));
  app.route('/', tenantRoutes(s.tenants));
  app.route('/', apiKeyRoutes(s.tenants, s.apiKeys));
  app.route('/', auditRoutes(s.tenants, s.audit));
  app.route('/', appRoutes(s.tenants, s.sso.apps));
  app.route('/', connectionRoutes(s.tenants, s.sso.connections, s.sso.login));
  app.route('/', domainRoutes(s.tenants, s.sso.domains, s.sso.settings));
  app.route('/', scimAdminRoutes(s));
  return app;
}
