import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';

/**
 * The client secret never appears in a connection view (only `has_client_secret`), so the audit
 * event of a PATCH that replaces or removes it must say so itself: otherwise its before and after
 * differ in `updated_at` only, and nobody reading the log can tell the secret was rotated.
 */
describe('audit of an upstream OIDC client secret change', () => {
  const h = new Harness();
  let path = '';
  let tenantId = '';
  const updates = () => [...h.services.audit.export(tenantId, {})].filter((e) => e.action === 'sso.connection.updated');

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    const oidc = { issuer: 'https://idp.example', client_id: 'portcullis', client_secret: 'first-secret-0001' };
    const created = await h.json('POST', `/admin/v1/tenants/${tenantId}/connections`, { body: { name: 'OIDC', protocol: 'oidc', oidc } });
    expect(created.status).toBe(201);
    path = `/admin/v1/tenants/${tenantId}/connections/${created.body.id}`;
  });
  afterAll(() => h.close());

  it('records that the secret was replaced (a new one of the same length), without the secret', async () => {
    const r = await h.json('PATCH', path, { body: { oidc: { client_secret: 'other-secret-0002' } } });
    expect(r.status).toBe(200);
    const event = updates().at(-1);
    expect(event?.metadata).toMatchObject({ client_secret: 'replaced' });
    expect(JSON.stringify(event)).not.toMatch(/secret-000/);
  });

  it('records no secret change when only other settings change, and a removal as removed', async () => {
    expect((await h.json('PATCH', path, { body: { name: 'OIDC (renamed)', oidc: { client_secret: 'other-secret-0002' } } })).status).toBe(200);
    expect(updates().at(-1)?.metadata?.client_secret).toBeUndefined();
    expect((await h.json('PATCH', path, { body: { oidc: { client_secret: null } } })).status).toBe(200);
    expect(updates().at(-1)?.metadata).toMatchObject({ client_secret: 'removed' });
    expect((await h.json('PATCH', path, { body: { oidc: { client_secret: 'third-secret-0003' } } })).status).toBe(200);
    expect(updates().at(-1)?.metadata).toMatchObject({ client_secret: 'set' });
  });
});
