import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The home-realm form (`POST /oidc/interaction/{uid}/discover`) is posted by a browser with a
 * live interaction: a body that cannot be read as a form (a broken multipart body, any content
 * type) is the person's 4xx, the picker shown again, never a 500; the interaction still works.
 */
describe('the discover form answers bodies it cannot read with 400, not 500', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    await env.samlConnection(acme.id, idp);
    rp = await env.rp(await env.app(acme.id, { name: 'B2B', multi_tenant: true }));
  });
  afterAll(() => env?.close());

  /** A browser at the picker: the interaction's URL and its cookies. */
  async function atPicker(): Promise<{ discover: string; cookie: string }> {
    const { url } = await authorizationRequest(rp, {});
    const auth = await fetch(url, { redirect: 'manual' });
    const cookie = auth.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    return { discover: `${new URL(auth.headers.get('location') as string, env.base).toString()}/discover`, cookie };
  }

  it.each([
    ['a multipart body that is not multipart', 'multipart/form-data; boundary=xyz', 'organization=acme'],
    ['a multipart content type without a boundary', 'multipart/form-data', '--xyz\r\n'],
    ['a truncated multipart body', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="organization"\r\n\r\nacme'],
  ])('%s: 400 with the picker, and the interaction still routes a proper form', async (_name, type, body) => {
    const { discover, cookie } = await atPicker();
    const res = await fetch(discover, { method: 'POST', headers: { 'content-type': type, cookie }, body, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<form method="post"/);
    const retry = await fetch(discover, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: 'organization=acme', redirect: 'manual' });
    expect([retry.status, retry.headers.get('location')?.startsWith(idp.ssoUrl)]).toEqual([303, true]);
  });
});
