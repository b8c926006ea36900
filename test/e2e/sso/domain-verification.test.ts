import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';

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

  it('says the lookup failed, naming the DNS error, instead of claiming the record is missing', async () => {
    const d = await claim('servfail.test');
    for (const code of ['ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED']) {
      resolve = failing(code);
      const r = await verify(d.id);
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ code: 'domain_not_verified', message: expect.stringContaining(`failed (${code}), so nothing was checked`) });
      expect(lastFailure()).toMatchObject({ reason: 'lookup_failed' });
    }
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/domains`)).data.find((x: { id: string }) => x.id === d.id).verified).toBe(false);
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
