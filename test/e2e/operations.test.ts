import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';

const harnesses: Harness[] = [];
const make = (o?: ConstructorParameters<typeof Harness>[0]) => {
  const h = new Harness(o);
  harnesses.push(h);
  return h;
};
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close().catch(() => {});
});

describe('operations endpoints', () => {
  it('answers /healthz and /readyz without credentials', async () => {
    const h = make();
    expect(await (await h.request('GET', '/healthz', { key: null })).json()).toEqual({ status: 'ok' });
    const ready = await h.json('GET', '/readyz', { key: null });
    expect([ready.status, ready.body]).toEqual([200, { status: 'ready', checks: { database: 'ok' } }]);
  });

  it('reports not ready with 503 when the database is gone', async () => {
    const h = make();
    h.services.storage.sql.raw.close();
    const ready = await h.json('GET', '/readyz', { key: null });
    expect([ready.status, ready.body.checks.database]).toEqual([503, 'failing']);
  });

  it('exposes Prometheus metrics by route pattern, not by raw path', async () => {
    const h = make();
    const t = await h.createTenant('Acme');
    await h.json('GET', `/admin/v1/tenants/${t.id}`);
    await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: 'ptc_bogus' });
    const res = await h.request('GET', '/metrics', { key: null });
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/portcullis_http_requests_total\{method="GET",route="\/admin\/v1\/tenants\/:tenant",status="200"\} 1/);
    expect(text).not.toContain(t.id);
    expect(text).toMatch(/portcullis_http_request_duration_seconds_bucket\{le="0.005",method="GET"/);
    expect(text).toMatch(/portcullis_audit_events_total\{action="tenant.created"\} 1/);
    expect(text).toMatch(/portcullis_auth_failures_total\{reason="invalid_credential"\} 1/);
    expect(text).toMatch(/portcullis_tenants\{status="active"\} 1/);
  });

  it('serves an OpenAPI 3.1 document generated from the routes', async () => {
    const h = make();
    const doc = (await h.json('GET', '/openapi.json', { key: null })).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/admin/v1/tenants', '/admin/v1/tenants/{tenant}', '/admin/v1/tenants/{tenant}/api-keys', '/admin/v1/tenants/{tenant}/audit/export']),
    );
    expect(doc.paths['/admin/v1/tenants'].post.requestBody.content['application/json'].schema).toBeDefined();
    expect(doc.components.schemas.Tenant).toBeDefined();
  });
});

describe('request ids and logs', () => {
  it('echoes a sane incoming X-Request-Id and replaces an unsafe one', async () => {
    const h = make();
    const kept = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9A-Z]{26}$/);
  });

  it('logs one JSON line per request with request id, tenant and principal, and never the key', async () => {
    const h = make();
    const t = await h.createTenant('Acme');
    const key = await h.tenantKey(t.id, ['admin']);
    await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: key.key, headers: { 'x-request-id': 'trace-log-1' } });
    const line = h.logs.lines.map((l) => JSON.parse(l)).find((l) => l.request_id === 'trace-log-1');
    expect(line).toMatchObject({
      msg: 'request', level: 'info', status: 200, route: '/admin/v1/tenants/:tenant', tenant_id: t.id,
      principal: { kind: 'tenant', credential_id: key.id },
    });
    expect(h.logs.text).not.toContain(key.key);
    expect(h.logs.text).not.toContain(h.platformKey);
    expect(h.logs.text).not.toContain(key.key.slice(-43));
  });

  it('hides the cause of a 5xx from the client but logs it', async () => {
    const h = make();
    const t = await h.createTenant('Acme');
    h.services.storage.sql.raw.exec('DROP TABLE api_key_scopes');
    const res = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'k', scopes: ['admin'] } });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'internal_error', message: 'An internal error occurred.', request_id: expect.any(String) });
    expect(h.logs.text).toMatch(/no such table: api_key_scopes/);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const h = make();
    const res = await h.json('GET', '/nowhere', { key: null });
    expect([res.status, res.body.code]).toEqual([404, 'route_not_found']);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a credential spends its bucket, without affecting others', async () => {
    const h = make({ rateLimitBurst: 5, rateLimitPerSecond: 0.5 });
    const t = await h.createTenant('Acme');
    const key = await h.tenantKey(t.id, ['admin']);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await h.request('GET', `/admin/v1/tenants/${t.id}`, { key: key.key });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await last!.json()) as { code: string }).code).toBe('rate_limited');
    const other = await h.tenantKey(t.id, ['admin']);
    expect((await h.request('GET', `/admin/v1/tenants/${t.id}`, { key: other.key })).status).toBe(200);
  });

  it('slows down guessing: failed authentication draws from a bucket per client IP', async () => {
    const h = make({ rateLimitBurst: 3, rateLimitPerSecond: 0.1 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await h.request('GET', '/admin/v1/tenants', { key: `ptc_guess_${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
