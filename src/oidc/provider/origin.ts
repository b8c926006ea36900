import type { MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';

/**
 * oidc-provider (Koa) builds its absolute URLs (the discovery document's endpoints, the logout
 * form's action, the resume redirect) from the request's host: `Host`, or `X-Forwarded-Host`
 * once proxies are trusted, which a proxy passes through from the client unless told to
 * overwrite it. The host is BASE_URL's, so both headers are set to it before the provider reads
 * them: no request can point the provider's endpoints at another host. (The scheme still comes
 * from the connection or the trusted proxy's `X-Forwarded-Proto`; see scheme-check.ts.)
 */
export function pinProviderHost(baseUrl: string): MiddlewareHandler {
  const { host } = new URL(baseUrl);
  return async function pinProviderHostMiddleware(c, next) {
    const incoming = (c.env as HttpBindings | undefined)?.incoming;
    if (incoming) {
      incoming.headers.host = host;
      incoming.headers['x-forwarded-host'] = host;
    }
    await next();
  };
}
