import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dns from 'node:dns';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { TestDnsServer } from '../../helpers/dns-server.ts';
import { DNS_RETRY_AFTER_SECONDS } from '../../../src/sso/domains/service.ts';

/** A resolver that fails the way node:dns does (an error with a DNS code). */
const failing = (code: string) => async () => {
  throw Object.assign(new Error(`queryTxt ${code}`), { code });
};

/**
 * What an admin is told when a domain does not verify: whether DNS has no record yet, has
 * records without this claim's value, or could not be asked at all, so they know whether to
 * publish, copy the value again, or just retry.
 */
describe('domain verification tells the admin why it failed', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let resolve: (name: string) => Promise<string[][]>;

  beforeAll(async () => {
    env = await SsoEnv.start({ sso: { txtResolver: (name) => resolve(name) } });
    tenant = await env.tenant('First Bank', 'first-bank');
  });
  afterAll(() => env?.close());

  async function claim(domain: string) {
    return env.ok('POST', `/admin/v1/tenants/${tenant.id}/domains`, { domain });
  }
  const verify = (id: string) => env.api('POST', `/admin/v1/tenants/${tenant.id}/domains/${id}/verify`);
  const lastFailure = () => env.audit(tenant.id, 'sso.domain.verification_failed').at(-1)?.metadata;

  it('says there is no record yet when DNS answers that the name does not exist', async () => {
    const d = await claim('no-record.test');
    resolve = failing('ENOTFOUND');
    const r = await verify(d.id);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'domain_not_verified', message: expect.stringMatching(/no TXT record at '_portcullis-verification\.no-record\.test'/) });
    expect(lastFailure()).toMatchObject({ domain: 'no-record.test', reason: 'no_record' });
  });

  it('shows the values it found when the record is there with another value', async () => {
    const d = await claim('wrong-value.test');
    resolve = async () => [['portcullis-domain-verification=from-another-claim'], ['v=spf1 -all']];
    const r = await verify(d.id);
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("2 TXT record(s), none with this domain's value");
    expect(r.body.message).toContain("'portcullis-domain-verification=from-another-claim'");
    expect(r.body.message).toContain(d.verification.value);
    expect(lastFailure()).toMatchObject({ reason: 'value_mismatch' });
  });

  it('answers 422 domain_not_verified to each "no such record" answer of node:dns (ENOTFOUND, ENODATA)', async () => {
    const d = await claim('no-data.test');
    for (const code of [dns.NOTFOUND, dns.NODATA]) {
      resolve = failing(code);
      const r = await verify(d.id);
      expect([code, r.status, r.body.code]).toEqual([code, 422, 'domain_not_verified']);
      expect(r.headers.get('retry-after')).toBeNull();
      expect(lastFailure()).toMatchObject({ reason: 'no_record' });
    }
  });

  it('answers 503 dns_unavailable with Retry-After when the lookup itself fails, naming the DNS error, and changes nothing', async () => {
    const d = await claim('servfail.test');
    const domains = () => env.ok('GET', `/admin/v1/tenants/${tenant.id}/domains`);
    const before = await domains();
    const codes = [dns.SERVFAIL, dns.TIMEOUT, dns.CONNREFUSED, dns.REFUSED, dns.BADRESP, dns.EOF, dns.CANCELLED, dns.FORMERR];
    for (const code of codes) {
      resolve = failing(code);
      const r = await verify(d.id);
      expect([code, r.status, r.body.code]).toEqual([code, 503, 'dns_unavailable']);
      expect(r.body.message).toContain(`failed (${code}), so nothing was checked`);
      expect(r.headers.get('retry-after')).toBe(String(DNS_RETRY_AFTER_SECONDS));
      expect(lastFailure()).toMatchObject({ domain: 'servfail.test', reason: 'lookup_failed' });
    }
    expect(await domains()).toEqual(before);
    expect(env.audit(tenant.id, 'sso.domain.verified')).toHaveLength(0);
    // Once DNS answers again, the same claim verifies.
    resolve = async (name) => (name === d.verification.name ? [[d.verification.value]] : []);
    expect((await verify(d.id)).body).toMatchObject({ id: d.id, verified: true });
  });

  it('verifies a record split into several strings, as long TXT values are published', async () => {
    const d = await claim('split.test');
    const value: string = d.verification.value;
    resolve = async (name) => (name === d.verification.name ? [['v=spf1 -all'], [value.slice(0, 20), value.slice(20)]] : []);
    const r = await verify(d.id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ domain: 'split.test', verified: true });
  });
});

/**
 * The same distinction against node:dns itself, asking a DNS server on a loopback port: the
 * error codes are the ones c-ares gives for NXDOMAIN, an empty answer, SERVFAIL, REFUSED, no
 * answer at all, and nothing listening.
 */
describe('domain verification against a real DNS server', () => {
  let env: SsoEnv;
  let dnsServer: TestDnsServer;
  let resolver: { resolveTxt(name: string): Promise<string[][]> };
  let tenant: { id: string };

  beforeAll(async () => {
    dnsServer = await TestDnsServer.start();
    resolver = dnsServer.resolver();
    env = await SsoEnv.start({ sso: { txtResolver: (name) => resolver.resolveTxt(name) } });
    tenant = await env.tenant('Second Bank', 'second-bank');
  });
  afterAll(async () => {
    await env?.close();
    await dnsServer?.close();
  });

  const claim = (domain: string) => env.ok('POST', `/admin/v1/tenants/${tenant.id}/domains`, { domain });
  const verify = (id: string) => env.api('POST', `/admin/v1/tenants/${tenant.id}/domains/${id}/verify`);

  it('tells "no record" (422) from "DNS did not answer" (503), then verifies once the record is served', async () => {
    const d = await claim('real-dns.test');
    const name = d.verification.name as string;
    const outcomes: [string, number, string, string | null][] = [];
    for (const answer of ['nxdomain', 'nodata', 'servfail', 'refused', 'silent'] as const) {
      dnsServer.answers.set(name, answer);
      const r = await verify(d.id);
      outcomes.push([answer, r.status, r.body.code, r.headers.get('retry-after')]);
    }
    resolver = await TestDnsServer.unreachableResolver();
    const refused = await verify(d.id);
    outcomes.push(['nothing listening', refused.status, refused.body.code, refused.headers.get('retry-after')]);
    const retry = String(DNS_RETRY_AFTER_SECONDS);
    expect(outcomes).toEqual([
      ['nxdomain', 422, 'domain_not_verified', null],
      ['nodata', 422, 'domain_not_verified', null],
      ['servfail', 503, 'dns_unavailable', retry],
      ['refused', 503, 'dns_unavailable', retry],
      ['silent', 503, 'dns_unavailable', retry],
      ['nothing listening', 503, 'dns_unavailable', retry],
    ]);
    expect(env.audit(tenant.id, 'sso.domain.verification_failed').map((e) => e.metadata?.reason)).toEqual(['no_record', 'no_record', 'lookup_failed', 'lookup_failed', 'lookup_failed', 'lookup_failed']);
    expect(refused.body.message).toContain('(ECONNREFUSED)');
    resolver = dnsServer.resolver();
    dnsServer.answers.set(name, { txt: [['v=spf1 -all'], [d.verification.value]] });
    expect((await verify(d.id)).body).toMatchObject({ verified: true });
  });
});
