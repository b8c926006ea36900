import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { runCli } from '../../../src/cli/run.ts';

const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()) as { kid: string }).kid;

/**
 * An app ends a person's sign-in with RP-initiated logout, naming it by the ID token it got at
 * sign-in (`id_token_hint`). That token has expired by then (1 h) while the sign-in it names lasts
 * 12 h, and the provider accepts it expired (OIDC RP-Initiated Logout §2): it needs only the key
 * that signed it. A key rotation must not take that key away while such a sign-in can stand.
 */
describe('RP-initiated logout with the ID token of a sign-in from before a key rotation', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkHINT', 'https://hint.okta.test/sso');
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    rp = await env.rp(await env.app(acme.id));
  });
  afterAll(() => env?.close());

  const rotate = async () => {
    const out: string[] = [];
    const code = await runCli(['keys', 'rotate', '--data-dir', env.dir, '--json'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {} });
    expect(code).toBe(0);
    return JSON.parse(out.join('')) as { created: string[]; retired: string[] };
  };
  /** Moves every rotation recorded so far `minutes` into the past, as if that much time had gone by since. */
  const timePasses = (minutes: number) => {
    const shift = (iso: string | null) => (iso === null ? null : new Date(Date.parse(iso) - minutes * 60_000).toISOString());
    const sql = env.services.storage.sql;
    const rows = sql.prepare<[], { kid: string; created_at: string; retired_at: string | null; expires_at: string | null }>('SELECT kid, created_at, retired_at, expires_at FROM oidc_signing_keys').all();
    for (const r of rows) {
      sql.prepare('UPDATE oidc_signing_keys SET created_at = ?, retired_at = ?, expires_at = ? WHERE kid = ?').run(shift(r.created_at), shift(r.retired_at), shift(r.expires_at), r.kid);
    }
  };

  it('still ends the sign-in after the key that signed its ID token was rotated out and the server took up a newer key set', async () => {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const idToken = tokens.id_token as string;

    // The keys are rotated; 70 minutes later (the sign-in still stands: 12 h) they are rotated again.
    expect((await rotate()).retired).toContain(kidOf(idToken));
    timePasses(70);
    const second = await rotate();
    // The server takes up the new key set within a second.
    let published: string[] = [];
    for (let i = 0; i < 50 && !published.some((kid) => second.created.includes(kid)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      published = ((await (await fetch(`${env.base}/oidc/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    }
    expect(published).toEqual(expect.arrayContaining(second.created));

    const endUrl = client.buildEndSessionUrl(rp, { id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' });
    const page = await browser.request(endUrl.toString());
    const html = await page.text();
    expect(html).not.toMatch(/could not validate id_token_hint/);
    expect(page.status).toBe(200);
    const form = readForm(html);
    const done = await browser.follow(new URL(form.action, env.base).toString(), (l) => l.startsWith('http://127.0.0.1:9/'), { form: { ...form.fields, logout: 'yes' } });
    expect(done.url).toMatch(/logged-out/);
    expect((await client.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
  });
});
