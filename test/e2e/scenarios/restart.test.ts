import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { BIN, serverProcesses, type ServerProcess } from '../../helpers/server-process.ts';
import { freePort } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';
import { SCIM_GROUP, SCIM_USER, adminOk, exportedAudit, patchOp, scimClient } from './support.ts';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const { newDir, start } = serverProcesses();
const run = promisify(execFile);

/**
 * `portcullis serve` as a real process, restarted on the same data directory and address while
 * work is under way: a person at the IdP when the server goes down finishes signing in on the
 * new process, and an IdP that retries its SCIM requests across the restart (a lost answer, a
 * crash) gets the outcome it asked for once.
 */
describe('scenario: the server restarts in the middle', () => {
  it('finishes a sign-in begun before a restart, and takes SCIM retries across a crash without doing anything twice', async () => {
    const dir = newDir();
    const port = await freePort();
    const env = { PORTCULLIS_PORT: String(port), PORTCULLIS_BASE_URL: `http://127.0.0.1:${port}` };
    let server: ServerProcess = await start(dir, env);
    const base = server.url;
    expect(base).toBe(env.PORTCULLIS_BASE_URL);
    const platformKey = server.platformKey as string;
    const admin = <T = any>(method: string, path: string, body?: unknown) => adminOk<T>(base, platformKey, method, path, body);

    const idp = new TestSamlIdp('http://www.okta.com/exk1restart', 'https://acme.okta.com/app/restart/sso/saml');
    const tenant = await admin('POST', '/tenants', { name: 'Acme', slug: 'acme' });
    await admin('POST', `/tenants/${tenant.id}/connections`, { name: 'Okta', protocol: 'saml', status: 'active', attribute_preset: 'okta', saml: { metadata_xml: idp.metadataXml() } });
    const app = await admin('POST', `/tenants/${tenant.id}/apps`, { name: 'web', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1:9/callback'] });
    // The operator makes the SCIM token with the CLI, in the server's environment (docs/scim.md).
    const cliRun = await run(process.execPath, [BIN, 'scim-token', 'create', '--tenant', 'acme', '--data-dir', dir, '--json'], { env: { ...process.env, ...env } });
    const token = JSON.parse(cliRun.stdout.trim().split('\n').pop() as string);
    expect(token.base_url.startsWith(`${base}/scim/v2/`)).toBe(true);
    const okta = scimClient(token.base_url, token.token, 'Okta SCIM Client 1.0.0');
    const alice = (await okta('POST', '/Users', { schemas: [SCIM_USER], userName: 'alice@acme.test', externalId: '00u1alice', name: { givenName: 'Alice', familyName: 'Archer' }, emails: [{ primary: true, type: 'work', value: 'alice@acme.test' }], active: true })).body;
    const bob = (await okta('POST', '/Users', { schemas: [SCIM_USER], userName: 'bob@acme.test', externalId: '00u1bob', active: true })).body;

    // Alice starts signing in and is at Okta when the server is restarted.
    const rp = await client.discovery(new URL(`${base}/oidc`), app.client_id, app.client_secret, undefined, { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authUrl = client.buildAuthorizationUrl(rp, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid email profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, organization: 'acme' });
    const browser = new Browser();
    const atIdp = await browser.follow(authUrl.toString(), (l) => l.startsWith(idp.ssoUrl));
    const req = TestSamlIdp.readAuthnRequest(atIdp.url);
    expect(await server.stop('SIGTERM')).toMatchObject({ code: 0 });
    server = await start(dir, env);
    expect(server.platformKey).toBeUndefined();

    const response = idp.response(answerTo(req, '00u1alice', { nameIdFormat: PERSISTENT, attributes: { email: 'alice@acme.test', firstName: 'Alice', lastName: 'Archer' } }));
    const back = await browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: response, RelayState: req.relayState } });
    expect(back.url).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(back.url), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ sub: alice.id, org_id: tenant.id, email: 'alice@acme.test' });

    // Okta pushes a group and adds both; the server crashes before Okta reads the answers, and
    // Okta sends the same requests again (the PATCH with the Idempotency-Key an HTTP client
    // library may add: SCIM defines no such header, docs/scim.md names none, it is ignored).
    const group = (await okta('POST', '/Groups', { schemas: [SCIM_GROUP], displayName: 'Engineering', members: [] })).body;
    const add = patchOp({ op: 'add', path: 'members', value: [{ value: alice.id }, { value: bob.id }] });
    const deactivate = patchOp({ op: 'replace', value: { active: false } });
    expect((await okta('PATCH', `/Groups/${group.id}`, add, { 'idempotency-key': 'okta-req-1' })).status).toBe(204);
    expect((await okta('PATCH', `/Users/${bob.id}`, deactivate, { 'idempotency-key': 'okta-req-2' })).status).toBe(200);
    const carol = (await okta('POST', '/Users', { schemas: [SCIM_USER], userName: 'carol@acme.test', active: true })).body;
    await okta('PATCH', `/Groups/${group.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: carol.id }] }));
    const removeCarol = patchOp({ op: 'remove', path: `members[value eq "${carol.id}"]` });
    expect((await okta('PATCH', `/Groups/${group.id}`, removeCarol)).status).toBe(204);
    // The admin API does keep Idempotency-Key replies, in the database.
    const registerApp = () =>
      fetch(`${base}/admin/v1/tenants/${tenant.id}/apps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json', 'idempotency-key': 'deploy-42-register-app' },
        body: JSON.stringify({ name: 'reporting', grant_types: ['client_credentials'] }),
      });
    const registered = (await (await registerApp()).json()) as { id: string; client_secret: string };
    const eventsBefore = await exportedAudit(base, platformKey, tenant.id);
    await server.stop('SIGKILL');
    server = await start(dir, env);
    const replayed = await registerApp();
    expect([replayed.status, replayed.headers.get('idempotency-replayed')]).toEqual([201, 'true']);
    expect(await replayed.json()).toMatchObject({ id: registered.id, client_secret: registered.client_secret });
    expect((await adminOk(base, platformKey, 'GET', `/tenants/${tenant.id}/apps`)).data.filter((a: { name: string }) => a.name === 'reporting')).toHaveLength(1);

    const retried = await okta('PATCH', `/Groups/${group.id}`, add, { 'idempotency-key': 'okta-req-1' });
    expect(retried.status).toBe(204);
    expect(retried.headers.get('idempotency-replayed')).toBeNull();
    const members = (await okta('GET', `/Groups/${group.id}`)).body.members.map((m: { value: string }) => m.value).sort();
    expect(members).toEqual([alice.id, bob.id].sort());
    expect((await okta('PATCH', `/Groups/${group.id}`, removeCarol)).status).toBe(204);
    const again = await okta('PATCH', `/Users/${bob.id}`, deactivate, { 'idempotency-key': 'okta-req-2' });
    expect([again.status, again.body.active]).toEqual([200, false]);
    // A create whose answer was lost is a 409 on retry; Okta's lookup by userName finds the user.
    const recreate = await okta('POST', '/Users', { schemas: [SCIM_USER], userName: 'bob@acme.test', externalId: '00u1bob', active: true });
    expect([recreate.status, recreate.body.scimType]).toEqual([409, 'uniqueness']);
    const found = await okta('GET', `/Users?filter=${encodeURIComponent('userName eq "bob@acme.test"')}`);
    expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([bob.id]);

    // The retries changed nothing: no event at all (the repeated deactivation re-ran the revokers,
    // which found nothing left), deactivated Bob got no membership tuple back from the repeated
    // add, and the chain verifies across both restarts.
    const eventsAfter = await exportedAudit(base, platformKey, tenant.id);
    expect(eventsAfter.events.map((e: { action: string }) => e.action)).toEqual(eventsBefore.events.map((e: { action: string }) => e.action));
    const read = await fetch(`${base}/stores/${tenant.authz_store_id}/read`, { method: 'POST', headers: { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ tuple_key: { relation: 'member', object: `group:${group.id}` } }) });
    expect(((await read.json()) as { tuples: { key: { user: string } }[] }).tuples.map((t) => t.key.user)).toEqual([`user:${alice.id}`]);
    expect(eventsAfter.verdict).toMatchObject({ ok: true });
    // Alice's session, made on the first process, still refreshes on the third.
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
    expect(refreshed.claims()?.sub).toBe(alice.id);
  });
});

