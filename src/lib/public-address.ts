import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, BlockList, type LookupFunction } from 'node:net';

/** Every address a host name resolves to (injectable for tests). */
export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;
export interface Address {
  address: string;
  family: number;
}

const blocked = new BlockList();
const PRIVATE_V4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3],
] as const;
for (const [net, prefix] of PRIVATE_V4) {
  blocked.addSubnet(net, prefix, 'ipv4');
  // The same network inside a 6to4 address (2002:AABB:CCDD::/48): a host with a 6to4 interface sends it there.
  const [a, b, c, d] = net.split('.').map(Number) as [number, number, number, number];
  blocked.addSubnet(`2002:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}::`, 16 + prefix, 'ipv6');
}
// ::/96: IPv4-compatible addresses (deprecated; an automatic tunnel sends them to the IPv4 address), with :: and ::1.
for (const [net, prefix] of [['::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2001:db8::', 32]] as const) {
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

export const isLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::1';

/** Which hosts an outgoing request (to a URL a tenant admin named) may reach. */
export interface AddressPolicy {
  /** Host names (exact, lower case) that may resolve to private addresses: on-premises IdPs (`PORTCULLIS_IDP_PRIVATE_HOSTS`). */
  privateHosts?: string[];
  /** Tests only: loopback addresses count as public. */
  allowLoopback?: boolean;
  lookup?: HostLookup;
}

/**
 * Resolves `url`'s host and holds every address to the policy (SSRF protection): the addresses,
 * or why the request must not be sent. Connect through `pinnedLookup(addresses)`, so DNS cannot
 * answer differently between the check and the connection.
 */
export async function checkedAddresses(url: URL, policy: AddressPolicy): Promise<{ host: string; addresses: Address[] } | { host: string; refused: 'unresolved' | 'private' }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const lookupAll: HostLookup = policy.lookup ?? ((h) => dnsLookup(h, { all: true, verbatim: true }));
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(host).catch(() => []);
  if (addresses.length === 0) return { host, refused: 'unresolved' };
  const named = (policy.privateHosts ?? []).includes(url.hostname.toLowerCase());
  if (!named && addresses.some((a) => isPrivateAddress(a.address) && !(policy.allowLoopback && isLoopback(a.address)))) return { host, refused: 'private' };
  return { host, addresses };
}

/**
 * A `lookup` for node:http(s) that answers with the addresses already checked, and only those.
 * Node asks for every address (`all: true`) when it races address families (happy eyeballs):
 * it then gets all of them, so an IdP whose first address is unreachable from here (an IPv6
 * address on a host without IPv6 routes) is still reached on the next.
 */
export function pinnedLookup(pinned: Address[]): LookupFunction {
  const first = pinned[0];
  if (!first) throw new Error('pinnedLookup needs at least one checked address');
  return (_h, o, cb) => ((o as { all?: boolean }).all ? (cb as (e: null, a: Address[]) => void)(null, pinned) : cb(null, first.address, first.family));
}
