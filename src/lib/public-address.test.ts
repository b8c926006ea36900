import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from './public-address.ts';

describe('isPrivateAddress: IPv6 forms that carry an IPv4 address', () => {
  it('counts IPv4-compatible addresses (::/96, deprecated) and 6to4 addresses of private IPv4 networks as private', () => {
    // A host with a 6to4 or automatic-tunnel (sit) interface sends these to the embedded IPv4 address.
    for (const ip of ['::10.0.0.1', '::a00:1', '::7f00:1', '::169.254.169.254', '2002:a00:1::1', '2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101:0:0:0:0:1']) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    }
  });

  it('still takes a 6to4 address of a public IPv4 network, and ordinary global IPv6, as public', () => {
    for (const ip of ['2002:808:808::1', '2606:4700::1111', '2001:4860:4860::8888']) expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });
});
