import type { MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';

/** The client address the request context resolved (trusted proxy hops applied), for the provider. */
export const CLIENT_IP_HEADER = 'x-portcullis-client-ip';

/**
 * oidc-provider (Koa) builds its absolute URLs (the discovery document's endpoints, the logout
 * form's action, the resume redirect) from the request's origin, and marks its cookies Secure
 * only on an https request. Both come from BASE_URL, the public origin, like Keycloak's
 * `hostname`: Host, X-Forwarded-Host and X-Forwarded-Proto are overwritten here before the
 * provider reads them, so no request can point its endpoints at another host, and TLS ending
 * at a proxy in front (Portcullis itself serves plain HTTP) still gives https endpoints and
 * Secure cookies without further settings. The client address is the one the request context
 * resolved through `PORTCULLIS_TRUST_PROXY`'s hops, never a header the client wrote.
 */
export function pinProviderOrigin(baseUrl: string): MiddlewareHandler {
  const { host, protocol } = new URL(baseUrl);
  const scheme = protocol.slice(0, -1);
  return async function pinProviderOriginMiddleware(c, next) {
    const incoming = (c.env as HttpBindings | undefined)?.incoming;
    if (incoming) {
      incoming.headers.host = host;
      incoming.headers['x-forwarded-host'] = host;
      incoming.headers['x-forwarded-proto'] = scheme;
      const ip = c.get('clientIp');
      if (ip) incoming.headers[CLIENT_IP_HEADER] = ip;
      else delete incoming.headers[CLIENT_IP_HEADER];
    }
    await next();
  };
}
