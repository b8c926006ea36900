import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { sha256Hex } from '../../../src/lib/crypto.ts';
import { canonicalJson } from '../../../src/lib/canonical-json.ts';

const countTenants = (h: Harness) => (h.services.storage.sql.prepare('SELECT count(*) AS n FROM tenants').get() as { n: number }).n;

/**
 * What makes two POSTs "the same request" for Idempotency-Key: method, path, query, body, and the
 * headers that change what the request means (its preconditions and its body's media type). A
 * retry that differs in any of them is refused as a different body is (422), never answered with
 * the first request's reply.
 */
describe('Idempotency-Key: the request fingerprint', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('refuses the same key with another If-Match (422) instead of replaying the first reply, and changes nothing', async () => {
    const t = await h.createTenant('Acme');
    const etag = (await h.json('GET', `/admin/v1/tenants/${t.id}`)).res.headers.get('etag')!;
    const key = { 'Idempotency-Key': 'suspend-1' };
    const stale = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers: { ...key, 'If-Match': '"999"' } });
    expect([stale.status, stale.body.code]).toEqual([412, 'precondition_failed']);
    const current = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers: { ...key, 'If-Match': etag } });
    expect([current.status, current.body.code, current.res.headers.get('idempotency-replayed')]).toEqual([422, 'idempotency_key_reused', null]);
    const dropped = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers: key });
    expect([dropped.status, dropped.body.code]).toEqual([422, 'idempotency_key_reused']);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`)).body.status).toBe('active');
    const retry = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers: { ...key, 'If-Match': ' "999" ' } });
    expect([retry.status, retry.res.headers.get('idempotency-replayed')]).toEqual([412, 'true']);
  });

  it('refuses the same key and body under another Content-Type (422) instead of replaying its 415', async () => {
    const key = { 'Idempotency-Key': 'typed-1' };
    const rawBody = '{"name":"Acme"}';
    const plain = await h.json('POST', '/admin/v1/tenants', { rawBody, headers: { ...key, 'content-type': 'text/plain' } });
    expect([plain.status, plain.body.code]).toEqual([415, 'unsupported_media_type']);
    const json = await h.json('POST', '/admin/v1/tenants', { rawBody, headers: { ...key, 'content-type': 'application/json' } });
    expect([json.status, json.body.code]).toEqual([422, 'idempotency_key_reused']);
    expect(countTenants(h)).toBe(0);
  });

  it('refuses the same key and body with another query string (422)', async () => {
    const key = { 'Idempotency-Key': 'query-1' };
    expect((await h.json('POST', '/admin/v1/tenants', { body: { name: 'Acme' }, headers: key })).status).toBe(201);
    const other = await h.json('POST', '/admin/v1/tenants?slug=other', { body: { name: 'Acme' }, headers: key });
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
    expect(countTenants(h)).toBe(1);
  });

  it('replays a true retry: the same preconditions and media type, spelled with other case and spacing', async () => {
    const t = await h.createTenant('Acme');
    const etag = (await h.json('GET', `/admin/v1/tenants/${t.id}`)).res.headers.get('etag')!;
    const key = { 'Idempotency-Key': 'suspend-2', 'If-Match': etag };
    const first = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { rawBody: '', headers: { ...key, 'content-type': 'application/json; charset=utf-8' } });
    const retry = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { rawBody: '', headers: { ...key, 'content-type': 'Application/JSON;Charset=UTF-8' } });
    expect([first.status, retry.status, retry.res.headers.get('idempotency-replayed')]).toEqual([200, 200, 'true']);
    expect(retry.body).toEqual(first.body);
    const audit = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?action=tenant.suspended`);
    expect(audit.body.data).toHaveLength(1);
  });

  it('replays a retry that adds or drops a charset (bodies are read as UTF-8 whatever it says), and refuses another media type', async () => {
    const key = { 'Idempotency-Key': 'charset-1' };
    const rawBody = JSON.stringify({ name: 'Charset Co' });
    const first = await h.json('POST', '/admin/v1/tenants', { rawBody, headers: { ...key, 'content-type': 'application/json' } });
    const retry = await h.json('POST', '/admin/v1/tenants', { rawBody, headers: { ...key, 'content-type': 'application/json; charset=utf-8' } });
    expect([first.status, retry.status, retry.res.headers.get('idempotency-replayed')]).toEqual([201, 201, 'true']);
    expect(retry.body).toEqual(first.body);
    const other = await h.json('POST', '/admin/v1/tenants', { rawBody, headers: { ...key, 'content-type': 'application/merge-patch+json' } });
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
  });

  it('still replays a key stored before the upgrade (fingerprint of method, path and body) to its true retry, and refuses another body', async () => {
    const key = { 'Idempotency-Key': 'before-upgrade' };
    const body = { name: 'Acme' };
    const first = await h.json('POST', '/admin/v1/tenants', { body, headers: key });
    expect(first.status).toBe(201);
    // What the previous release stored for that request: sha256 of "POST <path>\n<canonical body>".
    h.services.storage.sql
      .prepare('UPDATE idempotency_keys SET request_hash = ? WHERE idempotency_key = ?')
      .run(sha256Hex(`POST /admin/v1/tenants\n${canonicalJson(body)}`), 'before-upgrade');
    const retry = await h.json('POST', '/admin/v1/tenants', { body, headers: key });
    expect([retry.status, retry.body.id, retry.res.headers.get('idempotency-replayed')]).toEqual([201, first.body.id, 'true']);
    const other = await h.json('POST', '/admin/v1/tenants', { body: { name: 'Globex' }, headers: key });
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
    expect(countTenants(h)).toBe(1);
  });
});
