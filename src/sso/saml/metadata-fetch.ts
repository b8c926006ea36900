import { request } from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, BlockList } from 'node:net';
import { badRequest } from '../../http/errors.ts';
import { SAML_LIMITS } from './xml-safety.ts';

/** Fetches an IdP metadata document. Injectable so tests and air-gapped setups can supply their own. */
export type MetadataFetcher = (url: string) => Promise<string>;

export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2001:db8::', 32]] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Loopback, private, link-local, carrier-grade NAT, multicast and reserved addresses (v4, v6 and v4-mapped v6). */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1] as string);
  const family = isIP(ip);
  if (family === 0) return true;
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

const refuse = (message: string) => badRequest('metadata_url_refused', message);

/**
 * The default fetcher: HTTPS only, the host must resolve only to public addresses (checked
 * before connecting, and the connection is pinned to the checked address so DNS cannot change
 * its answer in between), no redirects, a size cap and a timeout.
 */
export function httpsMetadataFetcher(
  options: {
    lookup?: HostLookup;
    timeoutMs?: number;
    /** Tests only: a loopback address counts as public, and `ca` is trusted (a local HTTPS IdP). */
    allowLoopback?: boolean;
    ca?: string;
    /** Host names (exact, lower case) that may resolve to private addresses: on-premises IdPs (`PORTCULLIS_IDP_PRIVATE_HOSTS`). */
    privateHosts?: string[];
  } = {},
): MetadataFetcher {
  const lookupAll: HostLookup = options.lookup ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const refused = (ip: string) => isPrivateAddress(ip) && !(options.allowLoopback && (ip === '127.0.0.1' || ip === '::1'));
  return async function fetchMetadata(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('The metadata URL is not a URL.');
    }
    if (url.protocol !== 'https:') throw refuse('The metadata URL must use https.');
    if (url.username || url.password) throw refuse('The metadata URL must not carry credentials.');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const named = (options.privateHosts ?? []).includes(url.hostname.toLowerCase());
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(host).catch(() => []);
    if (addresses.length === 0) throw refuse(`The metadata host '${host}' does not resolve.`);
    if (!named && addresses.some((a) => refused(a.address))) throw refuse(`The metadata host '${host}' resolves to a private address (an on-premises IdP must be named in PORTCULLIS_IDP_PRIVATE_HOSTS).`);
    const pinned = addresses[0] as { address: string; family: number };
    return await new Promise<string>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'GET',
          timeout: timeoutMs,
          headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
          // Node asks for every address (`all: true`) when it may race address families.
          lookup: (_h, o, cb) => ((o as { all?: boolean }).all ? (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]) : cb(null, pinned.address, pinned.family)),
          ...(options.ca ? { ca: options.ca } : {}),
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            const status = res.statusCode ?? 0;
            reject(refuse(`The metadata URL answered ${status}${status >= 300 && status < 400 ? ' (a redirect, to ' + String(res.headers.location ?? '?').slice(0, 200) + ': redirects are not followed; give the final URL)' : ''}.`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > SAML_LIMITS.maxMetadataBytes) {
              req.destroy();
              reject(refuse('The metadata document is too large.'));
            } else chunks.push(c);
          });
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => reject(refuse(`The metadata URL could not be fetched: ${err.message}`)));
      req.end();
    });
  };
}
