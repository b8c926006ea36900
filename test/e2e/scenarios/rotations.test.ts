import { execFile } from 'node:child_process';
import { verify } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { DOMParser } from '@xmldom/xmldom';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { BIN } from '../../helpers/server-process.ts';
import { PLATFORM_CHAIN } from '../../../src/audit/events.ts';
import { adminOk, appCheck, exchange } from './support.ts';

const run = promisify(execFile);
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

/**
 * An IdP as an admin configures it from the SP metadata: it keeps the certificates it imported
 * last, checks each AuthnRequest's signature (HTTP-Redirect binding) with the signing ones and
 * encrypts assertions to the encryption one, until an admin imports the metadata again.
 */
class MetadataImportingIdp extends TestSamlIdp {
  imported = { signing: [] as string[], encryption: '' };

  async importSpMetadata(url: string): Promise<void> {
    const doc = new DOMParser().parseFromString(await (await fetch(url)).text(), 'text/xml');
    const found = { signing: [] as string[], encryption: [] as string[] };
    const descriptors = doc.getElementsByTagNameNS(MD, 'KeyDescriptor');
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors.item(i)!;
      const body = d.getElementsByTagNameNS(DS, 'X509Certificate').item(0)?.textContent?.replace(/\s+/g, '') ?? '';
      found[d.getAttribute('use') as 'signing' | 'encryption'].push(pem(body));
    }
    this.imported = { signing: found.signing, encryption: found.encryption[0] ?? '' };
  }

  /** Whether an AuthnRequest redirect carries a signature by one of the imported signing certificates. */
  trusts(redirect: string): boolean {
    const params = new Map(new URL(redirect).search.slice(1).split('&').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
    const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => params.has(k)).map((k) => `${k}=${params.get(k)}`).join('&');
    const signature = Buffer.from(decodeURIComponent(params.get('Signature') ?? ''), 'base64');
    return this.imported.signing.some((cert) => verify('sha256', Buffer.from(signed), cert, signature));
  }
}

/**
 * Every secret a deployment rotates, rotated while people keep signing in and apps keep calling:
 * the OpenID Provider's signing keys by `portcullis keys rotate` in its own process, a SAML
 * connection's SP certificate in its three steps with the IdP importing the metadata late, and an
 * app's client secret.
 */
describe('scenario: key and certificate rotation under traffic', () => {
  let env: SsoEnv;
  const idp = new MetadataImportingIdp('http://www.okta.com/exk1rot', 'https://acme.okta.com/app/rot/sso/saml');
  let receiver: LogoutReceiver;
  let tenant: { id: string };
  let adminKey: string;
  let connection: { id: string; metadata: string };
  let app: { id: string; client_id: string; client_secret: string };
  let rp: client.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const users: Record<string, string> = {};
  const admin = <T = any>(method: string, path: string, body?: unknown) => adminOk<T>(env.base, adminKey, method, path, body);

  beforeAll(async () => {
    env = await SsoEnv.start();
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    tenant = await env.tenant('Acme', 'acme');
    adminKey = (await env.ok('POST', `/admin/v1/tenants/${tenant.id}/api-keys`, { name: 'IT', scopes: ['admin'] })).key;
    const conn = await admin('POST', `/tenants/${tenant.id}/connections`, { name: 'Okta', protocol: 'saml', status: 'active', attribute_preset: 'okta', saml: { metadata_xml: idp.metadataXml() } });
    connection = { id: conn.id, metadata: conn.saml.sp.metadata_url };
    await idp.importSpMetadata(connection.metadata);
    app = await admin('POST', `/tenants/${tenant.id}/apps`, {
      name: 'Acme web app',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      authz_scopes: ['authz:read'],
      redirect_uris: ['http://127.0.0.1:9/callback'],
      backchannel_logout_uri: receiver.url,
    });
    receiver.audience = app.client_id;
    rp = await env.rp(app);
    jwks = createRemoteJWKSet(new URL(`${env.base}/oidc/jwks`), { cooldownDuration: 0 });
    for (const name of ['ada', 'bob', 'cy', 'dee']) users[name] = env.provisionUser(tenant.id, { userName: `${name}@acme.test`, email: `${name}@acme.test`, externalId: `${name}@acme.test` });
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
  });

  /** A sign-in up to the IdP: the AuthnRequest the browser carries there. */
  async function startSignIn() {
    const browser = new Browser();
    const flow = await authorizationRequest(rp, { organization: 'acme' });
    const toIdp = await browser.follow(flow.url.toString(), (l) => l.startsWith(idp.ssoUrl));
    return { browser, flow, redirect: toIdp.url, req: TestSamlIdp.readAuthnRequest(toIdp.url) };
  }

  /** The IdP's part and the way back: it checks the request and encrypts as its imported metadata says. */
  async function finishSignIn(started: Awaited<ReturnType<typeof startSignIn>>, user: string) {
    expect(idp.trusts(started.redirect), 'the IdP trusts the AuthnRequest signature').toBe(true);
    const response = idp.response(answerTo(started.req, `${user}@acme.test`, { encryptFor: idp.imported.encryption }));
    const back = await started.browser.follow(started.req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: response, RelayState: started.req.relayState } });
    expect(back.url, String(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason)).toMatch(/\/callback\?code=/);
    return exchange(rp, back.url, started.flow);
  }
  const signIn = async (user: string) => finishSignIn(await startSignIn(), user);
  const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid as string;
  const cli = async (...args: string[]) => JSON.parse((await run(process.execPath, [BIN, ...args, '--data-dir', env.dir, '--json'])).stdout);

  it('rotates the signing keys with the CLI while the server runs: tokens in circulation keep verifying, new ones use the new key', async () => {
    const before = await signIn('ada');
    const oldKid = kidOf(before.id_token as string);
    const machine = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    expect(kidOf(machine.access_token)).toBe(oldKid);
    const inFlight = await startSignIn();

    const rotated = await cli('keys', 'rotate');
    expect(rotated.retired).toContain(oldKid);
    const newKids: string[] = rotated.created;
    // The server notices within a second; until then it may still sign with the old key.
    let probe = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    for (let i = 0; i < 40 && !newKids.includes(kidOf(probe.access_token)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      probe = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    }
    expect(newKids).toContain(kidOf(probe.access_token));

    const published = ((await (await fetch(`${env.base}/oidc/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([...newKids, oldKid]));
    await expect(jwtVerify(before.id_token as string, jwks, { issuer: `${env.base}/oidc`, audience: app.client_id })).resolves.toBeTruthy();
    // The app's old access token still works on the authorization API, as does a new one.
    expect(await appCheck(env.base, machine.access_token, { user: `user:${users.ada}`, relation: 'member', object: `organization:${tenant.id}` })).toBe(false);
    expect(await appCheck(env.base, probe.access_token, { user: `user:${users.ada}`, relation: 'member', object: `organization:${tenant.id}` })).toBe(false);
    // The sign-in that was at the IdP during the rotation completes, signed with the new key.
    const finished = await finishSignIn(inFlight, 'bob');
    expect(newKids).toContain(kidOf(finished.id_token as string));
    await expect(jwtVerify(finished.id_token as string, jwks, { issuer: `${env.base}/oidc`, audience: app.client_id })).resolves.toBeTruthy();
    // A refresh token from before the rotation gets an ID token signed with the new key.
    const refreshed = await client.refreshTokenGrant(rp, before.refresh_token as string);
    expect(newKids).toContain(kidOf(refreshed.id_token as string));
    // And logout tokens the app receives verify against the JWKS it fetches.
    await env.deactivate(tenant.id, users.ada as string);
    expect(receiver.tokens.map((t) => t.sub)).toContain(users.ada);
    // A second rotation soon after: the first key is still published for what it signed.
    const again = await cli('keys', 'rotate');
    expect(again.retired).toEqual(expect.arrayContaining(newKids));
    for (let i = 0; i < 40 && newKids.includes(kidOf((await client.clientCredentialsGrant(rp, { scope: 'authz:read' })).access_token)); i++) await new Promise((r) => setTimeout(r, 100));
    await expect(jwtVerify(before.id_token as string, jwks, { issuer: `${env.base}/oidc`, audience: app.client_id })).resolves.toBeTruthy();
    await expect(jwtVerify(finished.id_token as string, jwks, { issuer: `${env.base}/oidc`, audience: app.client_id })).resolves.toBeTruthy();
    expect(await appCheck(env.base, machine.access_token, { user: `user:${users.bob}`, relation: 'member', object: `organization:${tenant.id}` })).toBe(false);
    const platform = await cli('audit', 'verify', '--platform');
    expect(platform).toMatchObject({ ok: true });
    const rotations = [...env.services.audit.export(PLATFORM_CHAIN, {})].filter((e) => e.action === 'oidc.keys.rotated');
    expect(rotations.map((e) => [e.actor.type, e.actor.user_agent])).toEqual([['cli', 'portcullis-cli'], ['cli', 'portcullis-cli']]);
  });

  it('rotates the SP certificate in three steps while the IdP imports the metadata late: no sign-in fails', async () => {
    const path = `/tenants/${tenant.id}/connections/${connection.id}`;
    const first = idp.imported.encryption;
    const staged = await admin('POST', `${path}/sp-certificates`);
    expect(staged.saml.sp.certificates.map((c: { status: string }) => c.status)).toEqual(['active', 'pending']);
    await signIn('cy'); // the IdP has not imported anything yet
    await idp.importSpMetadata(connection.metadata);
    expect(idp.imported.encryption).not.toBe(first);
    await signIn('cy');
    const beforeActivation = await startSignIn();
    await admin('POST', `${path}/sp-certificates/activate`);
    await finishSignIn(beforeActivation, 'cy'); // requested under the old key, answered after
    await signIn('cy'); // requested under the new key, which the IdP imported while staged
    const beforeRetirement = await startSignIn();
    const retired = await admin('DELETE', `${path}/sp-certificates/previous`);
    expect(retired.saml.sp.certificates.map((c: { status: string }) => c.status)).toEqual(['active']);
    await finishSignIn(beforeRetirement, 'cy');
    await idp.importSpMetadata(connection.metadata);
    await signIn('cy');
    expect(env.audit(tenant.id, 'sso.login.failed')).toEqual([]);
    expect(env.audit(tenant.id).filter((e) => e.action.startsWith('sso.connection.sp_certificate_')).map((e) => [e.action, e.actor.type])).toEqual([
      ['sso.connection.sp_certificate_staged', 'tenant_key'],
      ['sso.connection.sp_certificate_activated', 'tenant_key'],
      ['sso.connection.sp_certificate_retired', 'tenant_key'],
    ]);
  });

  it("rotates the app's client secret: the old secret stops at once, what was issued under it keeps working", async () => {
    const session = await signIn('dee');
    const machine = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    const rotated = await admin('POST', `/tenants/${tenant.id}/apps/${app.id}/rotate-secret`);
    expect(rotated.client_secret).not.toBe(app.client_secret);
    await expect(client.clientCredentialsGrant(rp, { scope: 'authz:read' })).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(client.refreshTokenGrant(rp, session.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_client' });
    const renewed = await env.rp({ client_id: app.client_id, client_secret: rotated.client_secret });
    const refreshed = await client.refreshTokenGrant(renewed, session.refresh_token as string);
    expect(refreshed.claims()?.sub).toBe(users.dee);
    expect((await client.tokenIntrospection(renewed, session.access_token)).active).toBe(true);
    expect(await appCheck(env.base, machine.access_token, { user: `user:${users.dee}`, relation: 'member', object: `organization:${tenant.id}` })).toBe(false);
    const fresh = await client.clientCredentialsGrant(renewed, { scope: 'authz:read' });
    expect(await appCheck(env.base, fresh.access_token, { user: `user:${users.dee}`, relation: 'member', object: `organization:${tenant.id}` })).toBe(false);
    expect(env.audit(tenant.id, 'oidc.app.secret_rotated').map((e) => e.actor.type)).toEqual(['tenant_key']);
    expect(JSON.stringify(env.audit(tenant.id))).not.toContain(rotated.client_secret);
  });

  it("rotates the IT admin's API key with the CLI and the IdP's SCIM token through the API: each old credential stops at once, the new ones work", async () => {
    const newKey = await admin('POST', `/tenants/${tenant.id}/api-keys`, { name: 'IT (2)', scopes: ['admin'] });
    const oldKeyId = (await admin('GET', `/tenants/${tenant.id}/api-keys`)).data.find((k: { name: string }) => k.name === 'IT').id;
    const first = await admin('POST', `/tenants/${tenant.id}/scim/tokens`, { name: 'Okta' });
    const scim = (tok: string) => fetch(`${first.base_url}/Users?count=1`, { headers: { authorization: `Bearer ${tok}` } }).then((r) => r.status);
    expect(await scim(first.token)).toBe(200);
    const second = await admin('POST', `/tenants/${tenant.id}/scim/tokens`, { name: 'Okta (rotated)' });
    expect([await scim(first.token), await scim(second.token)]).toEqual([200, 200]);
    const dir = first.base_url.split('/').pop();
    await admin('DELETE', `/tenants/${tenant.id}/scim/directories/${dir}/tokens/${first.id}`);
    expect([await scim(first.token), await scim(second.token)]).toEqual([401, 200]);

    // The operator revokes the old admin key from the command line while the server runs.
    const revoked = await cli('apikey', 'revoke', oldKeyId);
    expect(revoked).toMatchObject({ id: oldKeyId, tenant_id: tenant.id });
    const old = await fetch(`${env.base}/admin/v1/tenants/${tenant.id}`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(old.status).toBe(401);
    adminKey = newKey.key;
    expect((await admin('GET', `/tenants/${tenant.id}`)).id).toBe(tenant.id);
    expect(env.audit(tenant.id, 'api_key.revoked').map((e) => [e.target?.id, e.actor.type])).toEqual([[oldKeyId, 'cli']]);
  });
});
