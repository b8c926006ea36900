import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a per-client limit files an address under: an IPv4 address as is (also when written
 * IPv4-mapped, `::ffff:192.0.2.7`, as a dual-stack socket reports it), an IPv6 address by its /64
 * (`2001:db8:1:2::/64`: a subscriber gets at least a /64 and picks addresses in it at will), a
 * port a proxy appended dropped. Anything else (no socket: requests made in process) is
 * `unknown`, or kept as written, shortened, when it is not an address at all.
 */
export function clientAddressKey(address: string | null | undefined): string {
  const value = address?.trim();
  if (!value) return 'unknown';
  const ip = withoutPort(value);
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) return ipv6Key(ip);
  return `other:${value.slice(0, 64)}`;
}

function withoutPort(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1] as string;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
  return v4 ? (v4[1] as string) : value;
}

function ipv6Key(ip: string): string {
  const hextets = expand(ip.replace(/%.*$/, ''));
  const mapped = hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff;
  if (mapped) return [hextets[6] as number, hextets[7] as number].flatMap((h) => [h >> 8, h & 0xff]).join('.');
  return `${hextets.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` filled in, an IPv4 tail converted). */
function expand(ip: string): number[] {
  let text = ip.toLowerCase();
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
