import type { MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';

/** The client address requestContext resolved (trusted proxy hops applied), handed to the provider. */
export const CLIENT_IP_HEADER = 'x-portcullis-client-ip';

/**
 * oidc-provider (Koa) builds its absolute URLs (discovery, the logout form, the resume
 * redirect) from the request's origin, and marks cookies Secure only on an https request.
 * Both must come from BASE_URL, the public origin: Host and X-Forwarded-* are overwritten here
 * before the provider reads them, so a forged Host cannot move its endpoints, and TLS ending at
 * a proxy in front (Portcullis serves plain HTTP) still gives Secure cookies.
 */
export function pinProviderOrigin(baseUrl: string): MiddlewareHandler {
  const { host, protocol } = new URL(baseUrl);
  return async function pinProviderOriginMiddleware(c, next) {
    const incoming = (c.env as HttpBindings | undefined)?.incoming;
    if (incoming) {
      incoming.headers.host = host;
      incoming.headers['x-forwarded-host'] = host;
      incoming.headers['x-forwarded-proto'] = protocol.slice(0, -1);
      const ip = c.get('clientIp');
      if (ip) incoming.headers[CLIENT_IP_HEADER] = ip;
      else delete incoming.headers[CLIENT_IP_HEADER];
    }
    await next();
  };
}
