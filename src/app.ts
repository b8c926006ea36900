import { OpenAPIHono } from '@hono/zod-openapi';
import type { Services } from './services.ts';
import { requestContext } from './http/request-context.ts';
import { onError, onNotFound } from './http/on-error.ts';
import { mountOperations } from './observability/health.ts';
import { adminApi } from './admin/routes.ts';
import { mountOidc } from './oidc/mount.ts';
import { scimApi } from './directory/scim/http/routes.ts';
import { authzApi } from './authz/routes/index.ts';

/** Builds the HTTP application over already-built services. No I/O happens here. */
export function createApp(s: Services): OpenAPIHono {
  const app = new OpenAPIHono();
  app.use('*', requestContext({ logger: s.logger, metrics: s.metrics, trustProxy: s.config.trustProxy }));
  mountOperations(app, { checks: s.readiness, metrics: s.metrics });
  app.route('/admin/v1', adminApi(s));
  mountOidc(app, s);
  app.route('/scim/v2', scimApi(s));
  app.route('/stores', authzApi(s));

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A Portcullis API key (`ptc_key_…`).',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'scimToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A SCIM token bound to one directory (`ptc_scim_…`).',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Portcullis',
      version: '0.1.0',
      description: 'Identity and access for B2B SaaS: admin API, OpenFGA-compatible authorization, SCIM 2.0, OIDC.',
    },
    servers: [{ url: s.config.baseUrl }],
    security: [{ apiKey: [] }],
  });
  app.onError(onError);
  app.notFound(onNotFound);
  return app;
}
