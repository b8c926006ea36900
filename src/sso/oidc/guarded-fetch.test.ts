import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, closeServer } from '../../../test/helpers/web-site.ts';
import type { Server } from 'node:http';
import { guardedUpstreamFetch, UpstreamRefusedError } from './guarded-fetch.ts';

/** SSRF protection of the requests Portcullis makes to a tenant's upstream OIDC IdP. */
describe('guardedUpstreamFetch', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    const s = await listen((req, res) => {
      hits.push(`${req.method} ${req.url} ${req.headers.host}`);
      if (req.url === '/big') return void res.end(Buffer.alloc(1024 * 1024 + 10, 'x'));
      if (req.url === '/status-600') return void res.writeHead(600, { 'content-type': 'application/json' }).end('{}');
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen': 'yes' }).end(JSON.stringify({ ok: true }));
    });
    server = s.server;
    port = Number(new URL(s.url).port);
  });
  afterAll(() => closeServer(server));
  const get = (fetch: ReturnType<typeof guardedUpstreamFetch>, url: string) => fetch(url, { method: 'GET', headers: {}, body: undefined, redirect: 'manual', signal: undefined });
  /** A resolver that says the IdP's name is this loopback server. */
  const resolvesHere = async () => [{ address: '127.0.0.1', family: 4 }];

  it('refuses an IdP host on a private address before connecting, naming the setting that allows on-premises IdPs', async () => {
    const before = hits.length;
    const fetch = guardedUpstreamFetch({ privateHosts: [] });
    for (const url of [`http://127.0.0.1:${port}/.well-known/openid-configuration`, `https://10.1.2.3/.well-known/openid-configuration`, `https://[::1]:${port}/x`, `https://169.254.169.254/latest/meta-data`]) {
      await expect(get(fetch, url)).rejects.toThrow(UpstreamRefusedError);
    }
    await expect(get(guardedUpstreamFetch({ privateHosts: [], lookup: resolvesHere }), `https://idp.corp.example:${port}/x`)).rejects.toThrow(/resolves to a private address.*PORTCULLIS_IDP_PRIVATE_HOSTS/);
    expect(hits.length).toBe(before);
  });

  it('refuses a host whose DNS answer mixes public and private addresses, or names a private one in IPv6 form, before connecting', async () => {
    const before = hits.length;
    const answers = [
      [{ address: '93.184.215.14', family: 4 }, { address: '127.0.0.1', family: 4 }],
      [{ address: '2606:4700::6810:84e5', family: 6 }, { address: 'fd00::1', family: 6 }],
      [{ address: '::ffff:169.254.169.254', family: 6 }],
      [{ address: '::ffff:a00:1', family: 6 }],
    ];
    for (const answer of answers) {
      await expect(get(guardedUpstreamFetch({ privateHosts: [], lookup: async () => answer }), `https://idp.example.com:${port}/x`)).rejects.toThrow(/resolves to a private address/);
    }
    for (const url of [`https://[::ffff:127.0.0.1]:${port}/x`, `https://[::ffff:a9fe:a9fe]/x`, `https://[::]:${port}/x`, `https://0x7f.1:${port}/x`]) {
      await expect(get(guardedUpstreamFetch({ privateHosts: [] }), url)).rejects.toThrow(UpstreamRefusedError);
    }
    // A private-host entry names a host, not every spelling that reaches it: another name for the same place is still refused.
    await expect(get(guardedUpstreamFetch({ privateHosts: ['idp.corp.example'], lookup: resolvesHere }), `https://idp.corp.example.:${port}/x`)).rejects.toThrow(/private address/);
    expect(hits.length).toBe(before);
  });

  it('reaches a host named in the private-host list, pinned to the address it checked, and returns status, headers and body', async () => {
    const fetch = guardedUpstreamFetch({ privateHosts: ['idp.corp.example'], lookup: resolvesHere });
    // http is allowed only because the checked address is loopback (development); the name is kept in the Host header.
    const res = await get(fetch, `http://idp.corp.example:${port}/.well-known/openid-configuration`);
    expect([res.status, res.headers.get('x-seen'), await res.json()]).toEqual([200, 'yes', { ok: true }]);
    expect(hits.at(-1)).toBe(`GET /.well-known/openid-configuration idp.corp.example:${port}`);
  });

  it('tries every checked address in turn: an IdP whose first address is unreachable from here is reached on the next', async () => {
    // ::1 first (nothing listens there: the server is bound to 127.0.0.1 only), then 127.0.0.1.
    const fetch = guardedUpstreamFetch({ privateHosts: ['idp.corp.example'], lookup: async () => [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }] });
    const res = await get(fetch, `http://idp.corp.example:${port}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    // Still only the checked addresses: a private one the policy refuses is never among them.
    const mixed = guardedUpstreamFetch({ privateHosts: [], allowLoopback: true, lookup: async () => [{ address: '::1', family: 6 }, { address: '10.0.0.7', family: 4 }] });
    await expect(get(mixed, `http://idp.example.com:${port}/x`)).rejects.toThrow(/private address/);
  });

  it('refuses plain http to anything but loopback, even for a named private host', async () => {
    const fetch = guardedUpstreamFetch({ privateHosts: ['adfs.corp.example'], lookup: async () => [{ address: '10.0.0.7', family: 4 }] });
    await expect(get(fetch, 'http://adfs.corp.example/adfs/.well-known/openid-configuration')).rejects.toThrow(/must use https/);
  });

  it('passes method, headers and body through (the token request), and caps the size of an answer', async () => {
    const fetch = guardedUpstreamFetch({ privateHosts: [], allowLoopback: true });
    const res = await fetch(`http://127.0.0.1:${port}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code' }).toString(), redirect: 'manual', signal: undefined });
    expect(res.status).toBe(200);
    expect(hits.at(-1)).toMatch(/^POST \/token /);
    await expect(get(fetch, `http://127.0.0.1:${port}/big`)).rejects.toThrow(/more than/);
  });

  it('refuses an answer fetch could not represent (a status outside 200-599) as a failed request, without bringing the process down', async () => {
    const fetch = guardedUpstreamFetch({ privateHosts: [], allowLoopback: true });
    await expect(get(fetch, `http://127.0.0.1:${port}/status-600`)).rejects.toThrow(/fetch failed.*600/);
  });

  it('reports an unreachable IdP as fetch itself does (a TypeError), so sign-ins file it as unreachable', async () => {
    const fetch = guardedUpstreamFetch({ privateHosts: [], allowLoopback: true });
    await expect(get(fetch, 'http://127.0.0.1:1/x')).rejects.toThrow(TypeError);
    await expect(get(guardedUpstreamFetch({ privateHosts: [], lookup: async () => [] }), 'https://nowhere.example/x')).rejects.toThrow(/fetch failed.*does not resolve/);
  });
});
