import { request } from 'node:https';
import { badRequest } from '../../http/errors.ts';
import { checkedAddresses, pinnedLookup, type AddressPolicy } from '../../lib/public-address.ts';
import { SAML_LIMITS } from './xml-safety.ts';

/** Fetches an IdP metadata document. Injectable so tests and air-gapped setups can supply their own. */
export type MetadataFetcher = (url: string) => Promise<string>;

export { isPrivateAddress } from '../../lib/public-address.ts';

const refuse = (message: string) => badRequest('metadata_url_refused', message);

/**
 * The default fetcher: HTTPS only, the host must resolve only to public addresses (checked
 * before connecting, and the connection is pinned to the checked address so DNS cannot change
 * its answer in between), no redirects, a size cap and a timeout on the whole exchange.
 */
export function httpsMetadataFetcher(
  options: AddressPolicy & {
    timeoutMs?: number;
    /** Tests only: `ca` is trusted (a local HTTPS IdP). */
    ca?: string;
  } = {},
): MetadataFetcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async function fetchMetadata(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('The metadata URL is not a URL.');
    }
    if (url.protocol !== 'https:') throw refuse('The metadata URL must use https.');
    if (url.username || url.password) throw refuse('The metadata URL must not carry credentials.');
    const checked = await checkedAddresses(url, options);
    if ('refused' in checked) {
      throw refuse(
        checked.refused === 'unresolved'
          ? `The metadata host '${checked.host}' does not resolve.`
          : `The metadata host '${checked.host}' resolves to a private address (an on-premises IdP must be named in PORTCULLIS_IDP_PRIVATE_HOSTS).`,
      );
    }
    return await new Promise<string>((resolve, reject) => {
      const fail = (message: string) => {
        clearTimeout(deadline);
        req.destroy();
        reject(refuse(message));
      };
      const req = request(
        url,
        {
          method: 'GET',
          timeout: timeoutMs,
          headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
          lookup: pinnedLookup(checked.addresses),
          ...(options.ca ? { ca: options.ca } : {}),
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            const status = res.statusCode ?? 0;
            fail(`The metadata URL answered ${status}${status >= 300 && status < 400 ? ' (a redirect, to ' + String(res.headers.location ?? '?').slice(0, 200) + ': redirects are not followed; give the final URL)' : ''}.`);
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > SAML_LIMITS.maxMetadataBytes) fail('The metadata document is too large.');
            else chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(deadline);
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
          // A connection dropped mid-document ends the response without 'end' (and without 'error' unless listened for).
          res.on('error', (err) => fail(`The metadata URL could not be fetched: ${err.message}`));
          res.on('close', () => {
            if (!res.complete) fail('The metadata URL could not be fetched: the connection closed before the document was complete');
          });
        },
      );
      // The whole exchange, not only each silence on the socket: a server trickling bytes never goes idle.
      const deadline = setTimeout(() => fail('The metadata URL could not be fetched: timeout'), timeoutMs);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => fail(`The metadata URL could not be fetched: ${err.message}`));
      req.end();
    });
  };
}
