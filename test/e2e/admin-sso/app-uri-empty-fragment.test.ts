import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';

/**
 * A URI ending in a bare `#` has an empty fragment: `new URL(u).hash` is '' for it, yet it is a
 * fragment, and oidc-provider refuses an app whose redirect or post-logout URI contains one
 * ("redirect_uris must not contain fragments") at every authorization and token request, its
 * client-credentials grant included. Registering such an app must be a 400, not a broken app;
 * the logout and login-initiation URIs follow the same documented rule (no fragments).
 */
describe('app URIs with an empty fragment', () => {
  const h = new Harness();
  let base = '';
  let tenantId = '';
  const events = () => [...h.services.audit.export(tenantId, {})].length;

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    base = `/admin/v1/tenants/${tenantId}/apps`;
  });
  afterAll(() => h.close());

  it.each([
    ['redirect_uris', { redirect_uris: ['https://app.example.com/cb#'] }],
    ['post_logout_redirect_uris', { post_logout_redirect_uris: ['https://app.example.com/#'] }],
    ['initiate_login_uri', { initiate_login_uri: 'https://app.example.com/login#' }],
    ['backchannel_logout_uri', { backchannel_logout_uri: 'https://app.example.com/bcl#' }],
  ])('refuses %s ending in a bare # on create and on change (400 invalid_uri), registering and changing nothing', async (_field, fields) => {
    const before = events();
    const created = await h.json('POST', base, { body: { name: 'Web', grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb'], ...fields } });
    expect([created.status, created.body.code]).toEqual([400, 'invalid_uri']);
    expect((await h.json('GET', base)).body.data).toHaveLength(0);
    expect(events()).toBe(before);

    const app = await h.json('POST', base, { body: { name: 'Web', grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb'] } });
    const patched = await h.json('PATCH', `${base}/${app.body.id}`, { body: fields });
    expect([patched.status, patched.body.code]).toEqual([400, 'invalid_uri']);
    const now = await h.json('GET', `${base}/${app.body.id}`);
    expect(now.res.headers.get('etag')).toBe(app.res.headers.get('etag'));
    expect(now.body).toEqual(Object.fromEntries(Object.entries(app.body).filter(([k]) => k !== 'client_secret')));
    expect(events()).toBe(before + 1);
    await h.json('DELETE', `${base}/${app.body.id}`);
  });
});
