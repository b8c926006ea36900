import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';

const REPEAT_MS = 10 * 60_000;

/**
 * With an https BASE_URL, the OpenID Provider must see its requests as https: it builds the
 * endpoint URLs of its discovery document, and its cookies' Secure flag, from the request. Behind
 * a TLS-terminating proxy that takes `PORTCULLIS_TRUST_PROXY` and the proxy's
 * `X-Forwarded-Proto: https`; without them apps are handed `http://` endpoints and refuse them
 * (openid-client: "only requests to HTTPS are allowed"). This names the setting to fix, in the
 * log, at most every ten minutes.
 */
export function schemeMismatchWarner(baseUrl: string, trustProxy: number, logger: Logger): (req: IncomingMessage) => void {
  if (!baseUrl.startsWith('https:')) return () => {};
  let last = -Infinity;
  return (req) => {
    if (seenAs(req, trustProxy) === 'https') return;
    const now = Date.now();
    if (now - last < REPEAT_MS) return;
    last = now;
    logger.error(
      { base_url: baseUrl, trust_proxy: trustProxy, x_forwarded_proto: req.headers['x-forwarded-proto'] ?? null },
      trustProxy === 0
        ? 'BASE_URL is https but this request reached the OpenID Provider over plain HTTP, and PORTCULLIS_TRUST_PROXY is 0: it answers with http:// endpoints that apps refuse. Behind a TLS-terminating proxy, set PORTCULLIS_TRUST_PROXY to the number of proxies in front.'
        : 'BASE_URL is https but the proxy did not send X-Forwarded-Proto: https: the OpenID Provider answers with http:// endpoints that apps refuse. Make the proxy in front send X-Forwarded-Proto.',
    );
  };
}

/** The scheme Koa (and so oidc-provider) derives for a request: TLS, else the first X-Forwarded-Proto when proxies are trusted. */
function seenAs(req: IncomingMessage, trustProxy: number): string {
  if ((req.socket as TLSSocket).encrypted) return 'https';
  if (trustProxy === 0) return 'http';
  const proto = req.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() || 'http';
}
