import type { OpenAPIHono } from '@hono/zod-openapi';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Services } from '../services.ts';
import { ApiError } from '../http/errors.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { pinProviderOrigin } from './provider/origin.ts';
import { pageSecurityHeaders } from './page-headers.ts';
import { ssoRoutes } from '../sso/routes.ts';
import { signInBudget } from './sign-in-budget.ts';

const PREFIX = '/oidc';

/**
 * Mounts the IdP-facing SSO endpoints, the sign-in interactions, and the OpenID Provider itself
 * at `/oidc`, each request charged to its client address's budget (sign-in-budget.ts). The
 * provider gets the raw Node request (its body unread: no middleware before it parses bodies)
 * with `/oidc` moved to `originalUrl`, as an Express mount would; it writes the response itself.
 */
export function mountOidc(app: OpenAPIHono, s: Services): void {
  const sso = s.sso;
  const budget = signInBudget(s.signInBudgets, s.metrics);
  app.use(`${PREFIX}/*`, pinProviderOrigin(s.config.baseUrl), pageSecurityHeaders(), budget);
  app.use('/sso/*', pageSecurityHeaders(), budget);
  app.route('/', ssoRoutes({ login: sso.login, connections: sso.connections, box: sso.box, baseUrl: s.config.baseUrl, bodyLimitBytes: s.config.bodyLimitBytes }));
  app.route(
    '/',
    interactionRoutes({
      holder: sso.provider,
      apps: sso.appLookup,
      sessions: sso.sessions,
      states: sso.states,
      login: sso.login,
      realm: sso.realm,
      connections: sso.connections,
      tenants: s.storage.unscoped.tenants,
      storage: s.storage,
      audit: s.audit,
      clock: s.clock,
      secureCookies: s.config.baseUrl.startsWith('https:'),
    }),
  );
  app.all(`${PREFIX}/*`, async (c) => {
    const env = c.env as HttpBindings | undefined;
    if (!env?.incoming) throw new ApiError(501, 'node_server_required', 'The OpenID Provider is served by the Node.js server only.');
    const req = env.incoming as HttpBindings['incoming'] & { originalUrl?: string };
    req.headers['x-request-id'] = c.get('requestId');
    req.originalUrl = req.url;
    req.url = (req.url ?? '/').slice(PREFIX.length) || '/';
    await sso.provider.handler()(req, env.outgoing);
    return RESPONSE_ALREADY_SENT;
  });
}
