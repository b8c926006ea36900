import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';

describe('Idempotency-Key with credentials that present many bearer tokens', () => {
  let env: SsoEnv;
  let acme: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    const app = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, { name: 'backend', grant_types: ['client_credentials'], authz_scopes: ['authz:write'] });
    rp = await env.rp({ client_id: app.client_id, client_secret: app.client_secret });
  });
  afterAll(() => env?.close());

  it('answers a retry with a fresh access token of the same app with a clear 4xx, never a 500, and writes once', async () => {
    const write = async (token: string) =>
      fetch(`${env.base}/stores/${acme.authz_store_id}/write`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'tuple-1' },
        body: JSON.stringify({ writes: { tuple_keys: [{ user: 'user:anne', relation: 'member', object: `organization:${acme.id}` }] } }),
      });
    const first = await client.clientCredentialsGrant(rp, { scope: 'authz:write' });
    const second = await client.clientCredentialsGrant(rp, { scope: 'authz:write' });
    expect(second.access_token).not.toBe(first.access_token);
    expect((await write(first.access_token)).status).toBe(200);
    const replay = await write(first.access_token);
    expect([replay.status, replay.headers.get('idempotency-replayed')]).toEqual([200, 'true']);
    const retry = await write(second.access_token);
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { code: string }).code).toBe('idempotency_credential_changed');
    const events = env.services.storage.unscoped.auditChain(acme.id).query({ action: 'authz.tuples.written', order: 'asc', limit: 10 });
    expect(events).toHaveLength(1);
    // The token that made the request still gets its reply.
    expect((await write(first.access_token)).headers.get('idempotency-replayed')).toBe('true');
  });
});
