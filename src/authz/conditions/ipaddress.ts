import { isIPv4, isIPv6 } from 'node:net';

/**
 * OpenFGA's `ipaddress` condition parameter type: an IPv4 or IPv6 address (IPv4-mapped IPv6
 * addresses are unmapped, as Go's `netip.Addr.Unmap` does) with `in_cidr("10.0.0.0/8")`.
 */
export class IPAddress {
  private constructor(readonly bytes: Uint8Array, readonly text: string) {}

  /** Parses an address; undefined when it is not a well-formed IP address. */
  static parse(text: string): IPAddress | undefined {
    const bytes = parseBytes(text);
    return bytes ? new IPAddress(unmap(bytes), text) : undefined;
  }

  equals(other: IPAddress): boolean {
    return this.bytes.length === other.bytes.length && this.bytes.every((b, i) => b === other.bytes[i]);
  }

  /** True when the address lies in `cidr`; throws on a malformed CIDR (OpenFGA's evaluation error). */
  inCidr(cidr: string): boolean {
    const slash = cidr.lastIndexOf('/');
    const network = slash === -1 ? undefined : parseBytes(cidr.slice(0, slash));
    const bitsText = cidr.slice(slash + 1);
    let bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
    if (!network || bits < 0 || bits > network.length * 8) throw new Error(`'${cidr}' is a malformed CIDR string`);
    let net = network;
    if (net.length === 16 && isMapped(net)) {
      net = net.subarray(12);
      if (bits < 96) return false;
      bits -= 96;
    }
    if (net.length !== this.bytes.length) return false;
    for (let i = 0; i < bits; i++) {
      const mask = 0x80 >> (i % 8);
      if (((net[i >> 3] as number) & mask) !== ((this.bytes[i >> 3] as number) & mask)) return false;
    }
    return true;
  }

  toString(): string {
    return this.text;
  }
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function unmap(b: Uint8Array): Uint8Array {
  return b.length === 16 && isMapped(b) ? b.slice(12) : b;
}

function parseBytes(text: string): Uint8Array | undefined {
  if (isIPv4(text)) {
    const parts = text.split('.');
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
    return Uint8Array.from(parts.map(Number));
  }
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  if (!isIPv6(address)) return undefined;
  return parseIPv6(address);
}

function parseIPv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let tail = text;
  let v4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = parseBytes(text.slice(lastColon + 1));
    if (!v4 || v4.length !== 4) return undefined;
    tail = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = tail.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  if (groups.length !== 8) return undefined;
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}
