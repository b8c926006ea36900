import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type * as client from 'openid-client';
import { checkedAddresses, isLoopback, pinnedLookup, type Address, type AddressPolicy } from '../../lib/public-address.ts';

/** Largest answer read from an upstream IdP (discovery, JWKS, token, userinfo are a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** An upstream IdP request Portcullis will not make (SSRF protection); reported as the IdP being unreachable. */
export class UpstreamRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamRefusedError';
  }
}

/**
 * The fetch openid-client uses for a tenant's upstream OIDC IdP (discovery, JWKS, token and
 * userinfo requests). A tenant admin names the issuer, and the discovery document names the
 * other endpoints, so every request is held to what the SAML metadata fetcher enforces: the host
 * must resolve only to public addresses unless it is one of `privateHosts` (checked before
 * connecting, and the connection pinned to the checked address so DNS cannot change its answer
 * in between); plain http only to loopback (development); answers capped in size. Redirects are
 * returned, not followed (openid-client asks for `redirect: 'manual'`).
 */
export function guardedUpstreamFetch(o: AddressPolicy): client.CustomFetch {
  return async (raw, options) => {
    const url = new URL(raw);
    const checked = await checkedAddresses(url, o);
    if ('refused' in checked) {
      if (checked.refused === 'unresolved') throw fetchFailed(new Error(`the IdP host '${checked.host}' does not resolve`));
      throw new UpstreamRefusedError(`the IdP host '${checked.host}' resolves to a private address (an on-premises IdP must be named in PORTCULLIS_IDP_PRIVATE_HOSTS)`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && checked.addresses.every((a) => isLoopback(a.address)))) {
      throw new UpstreamRefusedError(`the IdP URL ${url.origin} must use https`);
    }
    return send(url, options, checked.addresses);
  };
}

function send(url: URL, options: Parameters<client.CustomFetch>[1], pinned: Address[]): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(options.headers as HeadersInit).forEach((value, name) => (headers[name] = value));
  return new Promise<Response>((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: options.method,
        headers,
        signal: options.signal ?? undefined,
        lookup: pinnedLookup(pinned),
      },
      (res) => collect(res, req.destroy.bind(req)).then(resolve, reject),
    );
    req.on('error', (err) => reject(options.signal?.aborted ? options.signal.reason : fetchFailed(err)));
    req.end(options.body === undefined || options.body === null ? undefined : String(options.body));
  });
}

function collect(res: IncomingMessage, abort: (err: Error) => void): Promise<Response> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_RESPONSE_BYTES) return void chunks.push(c);
      const err = new UpstreamRefusedError(`the IdP answered more than ${MAX_RESPONSE_BYTES} bytes`);
      abort(err);
      reject(err);
    });
    res.on('error', reject);
    res.on('end', () => {
      const status = res.statusCode ?? 502;
      // Thrown here, in an event handler, Response's own refusals (a status outside 200-599, a
      // header value it does not take) would bring the process down rather than fail the request.
      try {
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        resolve(new Response([101, 204, 205, 304].includes(status) || chunks.length === 0 ? null : Buffer.concat(chunks), { status, headers }));
      } catch (err) {
        reject(fetchFailed(new Error(`the IdP's answer (status ${status}) is not a usable HTTP response: ${(err as Error).message}`)));
      }
    });
  });
}

/** What fetch itself throws when the network fails, so callers tell "unreachable" the same way. */
function fetchFailed(cause: Error): TypeError {
  return new TypeError(`fetch failed: ${cause.message}`, { cause });
}
