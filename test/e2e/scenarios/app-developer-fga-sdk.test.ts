import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { CredentialsMethod, OpenFgaClient } from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { adminOk } from './support.ts';

/** A rejection's status and OpenFGA error code, as the SDK reports them. */
async function refusal(p: Promise<unknown>): Promise<[number | undefined, string | undefined]> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as { statusCode?: number; responseData?: { code?: string } } | undefined;
  expect(err, 'expected the call to be refused').toBeDefined();
  return [err!.statusCode, err!.responseData?.code];
}

/**
 * An app developer's integration, as docs/authz.md and docs/sso.md (Machine-to-machine) tell it:
 * the tenant's admin registers a client-credentials app with authorization scopes; the app gets
 * a token from /oidc/token with openid-client and gives it to `@openfga/sdk` as its API token;
 * it writes its own model (the docs' procurement example, which keeps `user` and `group` as it
 * must), its tuples, and asks Check and ListObjects. Tokens expire after 10 minutes and are
 * renewed; the admin narrowing the app's scopes takes effect on the next call; another tenant's
 * app never sees this store.
 */
describe('scenario: an app developer on @openfga/sdk with a client-credentials token', () => {
  let env: SsoEnv;
  let acme: { id: string; authz_store_id: string };
  let globex: { id: string; authz_store_id: string };
  let acmeKey: string;
  let app: { id: string; client_id: string; client_secret: string };
  let rp: client.Configuration;
  let token: string;
  let modelId: string;
  const scopes = 'authz:read authz:write authz:model';

  const sdk = (bearer: string, storeId?: string) =>
    new OpenFgaClient({ apiUrl: env.base, storeId, credentials: { method: CredentialsMethod.ApiToken, config: { token: bearer } } });

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    acmeKey = (await env.ok('POST', `/admin/v1/tenants/${acme.id}/api-keys`, { name: 'Acme IT', scopes: ['admin'] })).key;
  });
  afterAll(() => env?.close());
  afterEach(() => void vi.useRealTimers());

  it("the tenant's admin registers a client-credentials app; the app gets a 10-minute token with openid-client", async () => {
    app = await adminOk(env.base, acmeKey, 'POST', `/tenants/${acme.id}/apps`, { name: 'Procurement backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write', 'authz:model'] });
    expect(app.client_secret).toBeTruthy();
    rp = await env.rp(app);
    const got = await client.clientCredentialsGrant(rp, { scope: scopes });
    expect(got.expires_in).toBe(600);
    expect(got.scope?.split(' ').sort()).toEqual(scopes.split(' ').sort());
    token = got.access_token;
  });

  it('finds its store, writes the procurement model from the docs, and reads it back', async () => {
    const { stores } = await sdk(token).listStores();
    expect(stores.map((s) => s.id)).toEqual([acme.authz_store_id]);
    const dsl = readFileSync(new URL('../../../policies/examples/procurement.fga', import.meta.url), 'utf8');
    const model = transformer.transformDSLToJSONObject(dsl) as Parameters<OpenFgaClient['writeAuthorizationModel']>[0];
    const fga = sdk(token, stores[0]!.id);
    modelId = (await fga.writeAuthorizationModel(model)).authorization_model_id;
    const latest = await fga.readLatestAuthorizationModel();
    expect(latest.authorization_model?.id).toBe(modelId);
    expect(latest.authorization_model?.type_definitions.map((t) => t.type)).toEqual(['user', 'group', 'organization', 'region', 'purchase_order']);
  });

  it('writes tuples (one with a condition) and asks Check and ListObjects with the token as bearer', async () => {
    const fga = sdk(token, acme.authz_store_id);
    await fga.write({
      writes: [
        { user: 'organization:acme', relation: 'organization', object: 'region:emea' },
        { user: 'region:emea', relation: 'region', object: 'purchase_order:po-1' },
        { user: 'region:emea', relation: 'region', object: 'purchase_order:po-2' },
        { user: 'user:rita', relation: 'requester', object: 'purchase_order:po-2' },
        { user: 'user:ben', relation: 'approver', object: 'region:emea', condition: { name: 'within_approval_limit', context: { approval_limit: 1000 } } },
        { user: 'user:paula', relation: 'procurement_lead', object: 'organization:acme' },
        { user: 'organization:acme', relation: 'organization', object: 'purchase_order:po-1' },
      ],
    }, { authorizationModelId: modelId });
    const check = (user: string, relation: string, object: string, context?: Record<string, unknown>) => fga.check({ user, relation, object, context }, { authorizationModelId: modelId }).then((r) => r.allowed);
    expect(await check('user:ben', 'can_approve', 'purchase_order:po-1', { order_amount: 500 })).toBe(true);
    expect(await check('user:ben', 'can_approve', 'purchase_order:po-1', { order_amount: 5000 })).toBe(false);
    expect(await check('user:paula', 'can_approve', 'purchase_order:po-1', { order_amount: 5000 })).toBe(true);
    expect(await check('user:rita', 'can_view', 'purchase_order:po-2')).toBe(true);
    expect(await check('user:rita', 'can_view', 'purchase_order:po-1')).toBe(false);
    const { objects } = await fga.listObjects({ user: 'user:ben', relation: 'can_approve', type: 'purchase_order', context: { order_amount: 10 } }, { authorizationModelId: modelId });
    expect(objects.sort()).toEqual(['purchase_order:po-1', 'purchase_order:po-2']);
  });

  it('an expired token is refused (401 unauthenticated); the app renews it and carries on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    const stale = sdk(token, acme.authz_store_id);
    expect(await refusal(stale.check({ user: 'user:paula', relation: 'member', object: 'organization:acme' }))).toEqual([401, 'unauthenticated']);
    const renewed = await client.clientCredentialsGrant(rp, { scope: scopes });
    token = renewed.access_token;
    expect((await sdk(token, acme.authz_store_id).check({ user: 'user:paula', relation: 'member', object: 'organization:acme' })).allowed).toBe(true);
  });

  it("the admin takes write away from the app: the app's next write with its live token is refused 403 forbidden, reads go on", async () => {
    const narrowed = await adminOk(env.base, acmeKey, 'PATCH', `/tenants/${acme.id}/apps/${app.id}`, { authz_scopes: ['authz:read'] });
    expect(narrowed.authz_scopes).toEqual(['authz:read']);
    const fga = sdk(token, acme.authz_store_id);
    expect(await refusal(fga.write({ writes: [{ user: 'user:mallory', relation: 'procurement_lead', object: 'organization:acme' }] }))).toEqual([403, 'forbidden']);
    expect(await refusal(fga.writeAuthorizationModel({ schema_version: '1.1', type_definitions: [{ type: 'user' }] }))).toEqual([403, 'forbidden']);
    expect((await fga.check({ user: 'user:mallory', relation: 'procurement_lead', object: 'organization:acme' })).allowed).toBe(false);
    expect((await fga.check({ user: 'user:paula', relation: 'procurement_lead', object: 'organization:acme' })).allowed).toBe(true);
    // A new token asking for write is refused at the token endpoint: the app no longer holds it.
    await expect(client.clientCredentialsGrant(rp, { scope: 'authz:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it("another tenant's app lists only its own store and gets store_id_not_found for Acme's", async () => {
    const other = await env.ok('POST', `/admin/v1/tenants/${globex.id}/apps`, { name: 'Globex backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write', 'authz:model'] });
    const otherRp = await env.rp(other);
    const { access_token } = await client.clientCredentialsGrant(otherRp, { scope: scopes });
    const { stores } = await sdk(access_token).listStores();
    expect(stores.map((s) => s.id)).toEqual([globex.authz_store_id]);
    const intruder = sdk(access_token, acme.authz_store_id);
    expect(await refusal(intruder.check({ user: 'user:paula', relation: 'procurement_lead', object: 'organization:acme' }))).toEqual([404, 'store_id_not_found']);
    expect(await refusal(intruder.read())).toEqual([404, 'store_id_not_found']);
    expect(await refusal(intruder.readLatestAuthorizationModel())).toEqual([404, 'store_id_not_found']);
    expect(await refusal(intruder.write({ writes: [{ user: 'user:x', relation: 'procurement_lead', object: 'organization:acme' }] }))).toEqual([404, 'store_id_not_found']);
    // Its own store still has the default model, untouched by Acme's.
    const own = await sdk(access_token, globex.authz_store_id).readLatestAuthorizationModel();
    expect(own.authorization_model?.type_definitions.map((t) => t.type)).toEqual(['user', 'group', 'organization']);
  });
});
