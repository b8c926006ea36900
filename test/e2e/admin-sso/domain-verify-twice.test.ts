import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';

/**
 * Two verify calls for one domain at once (an admin's double click, a retrying client): both
 * look the record up while the domain is unverified. The first verifies it; the second must
 * answer the domain as it now is, not verify it again (a second `sso.domain.verified` event and
 * `verified_at` moved to the later time, for a domain that was already verified).
 */
describe('verifying a domain twice at once', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let pending: { name: string; release: () => void }[] = [];
  const txt = new Map<string, string[][]>();

  beforeAll(async () => {
    // A resolver that answers only when the test releases it, so both calls are mid-lookup together.
    const txtResolver = (name: string) => new Promise<string[][]>((resolve) => pending.push({ name, release: () => resolve(txt.get(name) ?? []) }));
    env = await SsoEnv.start({ sso: { txtResolver } });
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(() => env?.close());

  it('verifies it once: one event, one verified_at, both calls answered 200 with it', async () => {
    const d = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/domains`, { domain: 'acme.test' });
    txt.set(d.verification.name, [[d.verification.value]]);
    const path = `/admin/v1/tenants/${tenant.id}/domains/${d.id}/verify`;
    const first = env.api('POST', path);
    const second = env.api('POST', path);
    while (pending.length < 2) await new Promise((r) => setTimeout(r, 5));
    pending[0]!.release();
    const a = await first;
    pending[1]!.release();
    const b = await second;
    pending = [];

    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.verified).toBe(true);
    expect(b.body.verified_at).toBe(a.body.verified_at);
    expect(env.audit(tenant.id, 'sso.domain.verified')).toHaveLength(1);
    const listed = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/domains`);
    expect(listed.data[0].verified_at).toBe(a.body.verified_at);
  });
});
