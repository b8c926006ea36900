import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';

/**
 * A domain verification looks DNS up outside any transaction; the tenant may be deleted while it
 * waits. A deleted tenant verifies nothing: the call ends 404 and nothing is written after
 * `tenant.deleted` on its chain.
 */
describe('verifying a domain while its tenant is being deleted', () => {
  let env: SsoEnv;
  const pending: (() => void)[] = [];
  const txt = new Map<string, string[][]>();

  beforeAll(async () => {
    const txtResolver = (name: string) => new Promise<string[][]>((resolve) => pending.push(() => resolve(txt.get(name) ?? [])));
    env = await SsoEnv.start({ sso: { txtResolver } });
  });
  afterAll(() => env?.close());

  it('answers 404 and leaves the domain unverified, with no event after tenant.deleted', async () => {
    const tenant = await env.tenant('Acme', 'acme');
    const d = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/domains`, { domain: 'acme.test' });
    txt.set(d.verification.name, [[d.verification.value]]);
    const verifying = env.api('POST', `/admin/v1/tenants/${tenant.id}/domains/${d.id}/verify`);
    while (pending.length < 1) await new Promise((r) => setTimeout(r, 5));
    expect((await env.api('DELETE', `/admin/v1/tenants/${tenant.id}`)).status).toBe(204);
    pending.shift()!();
    const answer = await verifying;

    expect(answer.status).toBe(404);
    expect(env.audit(tenant.id).at(-1)?.action).toBe('tenant.deleted');
    const row = env.services.storage.sql.raw.prepare('SELECT verified_at FROM sso_domains WHERE id = ?').get(d.id) as { verified_at: string | null };
    expect(row.verified_at).toBeNull();
  });
});
