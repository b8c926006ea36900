import type { MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { PAGE_STYLE_SOURCE } from './pages.ts';

/**
 * What the sign-in pages (ours and oidc-provider's) may do: load nothing, be framed by no one
 * (clickjacking), run no script. `script-src` holds only 'report-sample' (which allows nothing)
 * so that oidc-provider can append the hash of its form_post auto-submit script to it.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `default-src 'none'; script-src 'report-sample'; style-src ${PAGE_STYLE_SOURCE}; base-uri 'none'; frame-ancestors 'none'`,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * Puts PAGE_SECURITY_HEADERS on every response under the mounted path: on Node's response
 * before the handler runs (the provider writes that response itself and extends the CSP), else
 * on the Hono response. An HTML page of ours is also marked `no-store` (the provider marks its own).
 */
export function pageSecurityHeaders(): MiddlewareHandler {
  return async function pageSecurityHeadersMiddleware(c, next) {
    const outgoing = (c.env as HttpBindings | undefined)?.outgoing;
    if (outgoing) for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) outgoing.setHeader(name, value);
    await next();
    if (outgoing?.headersSent) return;
    if (!outgoing) for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (c.res.headers.get('content-type')?.startsWith('text/html') && !c.res.headers.has('cache-control')) c.res.headers.set('Cache-Control', 'no-store');
  };
}
