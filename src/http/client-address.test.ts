import { describe, expect, it } from 'vitest';
import { clientAddressKey } from './client-address.ts';

describe('the key a client address is limited under', () => {
  it('keeps an IPv4 address, also written IPv4-mapped as a dual-stack socket reports it', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientAddressKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('groups IPv6 addresses by their /64, whatever their spelling', () => {
    const key = '2001:db8:1:2::/64';
    for (const a of ['2001:db8:1:2::1', '2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2:a:b:c:d', '[2001:db8:1:2::9]:443', '2001:db8:1:2::1%eth0', '2001:db8:1:2::192.0.2.1']) {
      expect(clientAddressKey(a), a).toBe(key);
    }
    expect(clientAddressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('drops a port a proxy appended to an IPv4 address', () => {
    expect(clientAddressKey('203.0.113.7:50123')).toBe('203.0.113.7');
  });

  it('files requests without an address under one key, and keeps anything else as written (shortened)', () => {
    expect(clientAddressKey(null)).toBe('unknown');
    expect(clientAddressKey(' ')).toBe('unknown');
    expect(clientAddressKey('unknown')).toBe('other:unknown');
    expect(clientAddressKey('x'.repeat(500))).toBe(`other:${'x'.repeat(64)}`);
  });
});
