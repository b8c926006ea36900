import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeCheckLaneDeps } from '../../src/authz/routes/index.ts';
import { withNodeCheckLane, type NodeCheckLaneDeps } from '../../src/authz/routes/node-check.ts';
import { dslToModel } from '../../src/authz/model/dsl.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Harness } from '../helpers/harness.ts';

/**
 * The Node-level Check lane (src/authz/routes/node-check.ts) against the full stack, over real
 * sockets: two servers on the same services, one with the lane and one without, get the same
 * requests. Every response (status, headers, body) and every access-log line must be the same,
 * and the lane's counter shows which requests it answered itself and which it handed on.
 */

const MODEL = `model
  schema 1.1
type user
type doc
  relations
    define viewer: [user, user with in_region]
condition in_region(region: string) {
  region == "eu"
}
`;

interface Spec {
  store?: 'a' | 'b' | 'c' | 'missing' | 'lowercase';
  key?: 'a' | 'aWriteOnly' | 'b' | 'c' | 'revoked' | 'platform' | 'unknown' | null;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  query?: string;
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  requestId: string | null;
  log: Record<string, unknown>;
}

describe('the Node-level Check lane answers exactly as the full stack', () => {
  let h: Harness;
  let lane: RunningServer;
  let plain: RunningServer;
  const stores: Record<string, string> = {};
  const keys: Record<string, string> = {};
  let modelId: string;
  let seq = 0;

  beforeAll(async () => {
    h = new Harness({ port: 0, trustProxy: 'true', bodyLimitBytes: 8192, rateLimitBurst: 100_000 });
    const a = await h.createTenant('Tenant A');
    const b = await h.createTenant('Tenant B');
    const c = await h.createTenant('Tenant C');
    Object.assign(stores, { a: a.authz_store_id, b: b.authz_store_id, c: c.authz_store_id, missing: '01ARZ3NDEKTSV4RRFFQ69G5FAV', lowercase: a.authz_store_id.toLowerCase() });
    modelId = (await h.json('POST', `/stores/${a.authz_store_id}/authorization-models`, { body: dslToModel(MODEL) })).body.authorization_model_id;
    const written = await h.json('POST', `/stores/${a.authz_store_id}/write`, {
      body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }, { user: 'user:bob', relation: 'viewer', object: 'doc:2', condition: { name: 'in_region' } }] } },
    });
    expect(written.status).toBe(200);
    keys.a = (await h.tenantKey(a.id, ['authz:read'])).key;
    keys.aWriteOnly = (await h.tenantKey(a.id, ['authz:write'])).key;
    keys.b = (await h.tenantKey(b.id, ['authz:read', 'authz:write'])).key;
    keys.c = (await h.tenantKey(c.id, ['authz:read'])).key;
    const revoked = await h.tenantKey(a.id, ['authz:read']);
    await h.json('DELETE', `/admin/v1/tenants/${a.id}/api-keys/${revoked.id}`);
    keys.revoked = revoked.key;
    keys.platform = h.platformKey;
    keys.unknown = `${keys.a.slice(0, -4)}AAAA`;
    expect((await h.json('POST', `/admin/v1/tenants/${c.id}/suspend`)).status).toBe(200);
    lane = await startServer(h.services);
    plain = await startServer(h.services, { checkLane: false });
  });
  afterAll(async () => {
    await lane?.close();
    await plain?.close();
    await h?.close();
  });

  const laneCount = async () => {
    const values = (await h.services.metrics.checkLane.get()).values;
    const of = (outcome: string) => values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    return { answered: of('answered'), handedOn: of('handed_on') };
  };

  async function send(server: RunningServer, spec: Spec): Promise<Answer> {
    const marker = `t${++seq}-${Date.now()}`;
    const headers: Record<string, string> = { 'x-request-id': marker, ...spec.headers };
    const key = spec.key === undefined ? 'a' : spec.key;
    if (key !== null) headers.authorization ??= `Bearer ${keys[key]}`;
    if (spec.body !== undefined || spec.raw !== undefined) headers['content-type'] ??= 'application/json';
    const payload = spec.raw ?? (spec.body === undefined ? undefined : JSON.stringify(spec.body));
    const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body: payload };
    if (spec.chunked && payload !== undefined) {
      init.body = new ReadableStream({ start: (c) => (c.enqueue(Buffer.from(payload)), c.close()) });
      init.duplex = 'half';
    }
    const res = await fetch(`${server.url}/stores/${stores[spec.store ?? 'a']}/check${spec.query ?? ''}`, init);
    const body = await res.text();
    const all: Record<string, string> = {};
    res.headers.forEach((value, name) => (all[name] = value));
    const requestId = all['x-request-id'] ?? null;
    const { date: _d, 'x-request-id': _r, ...rest } = all;
    return { status: res.status, headers: rest, body, requestId, log: await logLine(requestId as string) };
  }

  async function logLine(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 100; i++) {
      const line = h.logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.request_id === requestId);
      if (line) {
        const { time: _t, request_id: _r, duration_ms: d, ...rest } = line;
        expect(typeof d).toBe('number');
        return rest;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access log line for ${requestId}`);
  }

  /** Sends `spec` to both servers; the answers must be identical. Returns the lane's, and what the lane did. */
  async function both(spec: Spec): Promise<Answer & { lane: 'answered' | 'handed_on' | 'not_a_check' }> {
    const before = await laneCount();
    const viaLane = await send(lane, spec);
    const after = await laneCount();
    const viaStack = await send(plain, spec);
    expect(await laneCount()).toEqual(after);
    expect({ ...viaLane, requestId: undefined }).toEqual({ ...viaStack, requestId: undefined });
    const moved = { answered: after.answered - before.answered, handedOn: after.handedOn - before.handedOn };
    expect(moved.answered + moved.handedOn).toBeLessThanOrEqual(1);
    return { ...viaLane, lane: moved.answered === 1 ? 'answered' : moved.handedOn === 1 ? 'handed_on' : 'not_a_check' };
  }

  const check = (user: string, object = 'doc:1', extra: object = {}) => ({ tuple_key: { user, relation: 'viewer', object }, ...extra });

  it('answers plain Checks itself, with the same decision, headers and log line', async () => {
    const allowed = await both({ body: check('user:anne') });
    expect([allowed.status, allowed.body, allowed.lane]).toEqual([200, '{"allowed":true}', 'answered']);
    expect(allowed.headers['content-type']).toBe('application/json');
    expect(allowed.log).toMatchObject({ method: 'POST', route: '/stores/:store_id/check', status: 200, path: `/stores/${stores.a}/check` });
    const denied = await both({ body: check('user:carl') });
    expect([denied.status, denied.body, denied.lane]).toEqual([200, '{"allowed":false}', 'answered']);
    const platform = await both({ key: 'platform', body: check('user:anne') });
    expect([platform.body, platform.lane, platform.log.principal]).toEqual(['{"allowed":true}', 'answered', { kind: 'platform', credential_id: expect.any(String) }]);
    const named = await both({ body: check('user:anne', 'doc:1', { authorization_model_id: modelId, consistency: 'HIGHER_CONSISTENCY', trace: false }) });
    expect([named.body, named.lane]).toEqual(['{"allowed":true}', 'answered']);
    const nulls = await both({ body: check('user:anne', 'doc:1', { authorization_model_id: null, contextual_tuples: null, context: null, unknown_field: 1 }) });
    expect([nulls.body, nulls.lane]).toEqual(['{"allowed":true}', 'answered']);
    const charset = await both({ body: check('user:anne'), headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect([charset.body, charset.lane]).toEqual(['{"allowed":true}', 'answered']);
  });

  it('evaluates conditions with the request context', async () => {
    const eu = await both({ body: check('user:bob', 'doc:2', { context: { region: 'eu' } }) });
    const us = await both({ body: check('user:bob', 'doc:2', { context: { region: 'us' } }) });
    expect([eu.body, us.body, eu.lane, us.lane]).toEqual(['{"allowed":true}', '{"allowed":false}', 'answered', 'answered']);
    const missing = await both({ body: check('user:bob', 'doc:2') });
    expect([missing.status, missing.lane]).toEqual([400, 'handed_on']);
  });

  it('echoes a sane X-Request-Id and logs the forwarded client address, as the full stack does', async () => {
    const echoed = await both({ body: check('user:anne'), headers: { 'x-request-id': 'abc.123:XYZ' } });
    expect([echoed.requestId, echoed.lane]).toEqual(['abc.123:XYZ', 'answered']);
    const insane = await send(lane, { body: check('user:anne'), headers: { 'x-request-id': 'has space' } });
    expect(insane.requestId).toMatch(/^req_[0-9A-Z]{26}$/);
    // One trusted proxy: the entry it appended (the rightmost); the client wrote the rest.
    const forwarded = await both({ body: check('user:anne'), headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' } });
    expect([forwarded.log.ip, forwarded.lane]).toEqual(['203.0.113.7', 'answered']);
    const direct = await both({ body: check('user:anne') });
    expect(direct.log.ip).toBe('127.0.0.1');
  });

  it('hands every refusal to the full stack, which answers it as always', async () => {
    const cases: [Spec, number, string?, string?][] = [
      [{ key: null, body: check('user:anne') }, 401, 'unauthenticated'],
      [{ key: 'unknown', body: check('user:anne') }, 401, 'unauthenticated'],
      [{ key: 'revoked', body: check('user:anne') }, 401, 'unauthenticated'],
      [{ body: check('user:anne'), headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 401, 'unauthenticated'],
      [{ key: 'b', body: check('user:anne') }, 404, 'store_id_not_found'],
      [{ store: 'missing', body: check('user:anne') }, 404, 'store_id_not_found'],
      // Not a store id at all: not the lane's path.
      [{ store: 'lowercase', body: check('user:anne') }, 400, 'validation_error', 'not_a_check'],
      [{ key: 'aWriteOnly', body: check('user:anne') }, 403, 'forbidden'],
      [{ store: 'c', key: 'c', body: check('user:anne') }, 403, 'forbidden'],
      [{ raw: '{"tuple_key":' }, 400],
      [{ raw: JSON.stringify(check('user:anne')), headers: { 'content-type': 'text/plain' } }, 415],
      [{ body: check('user:anne', 'doc:1', { padding: 'x'.repeat(9000) }) }, 413, 'payload_too_large'],
      [{ body: { tuple_key: { user: 'user:anne', relation: 'owner', object: 'doc:1' } } }, 400, 'validation_error'],
      [{ body: { tuple_key: { user: 7, relation: 'viewer', object: 'doc:1' } } }, 400],
      [{ body: check('user:anne', 'doc:1', { authorization_model_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }) }, 400, 'authorization_model_not_found'],
      [{ body: check('user:anne', 'doc:1', { authorization_model_id: 'not-a-ulid' }) }, 400],
      [{ body: check('user:anne', 'doc:1', { context: [] }) }, 400],
    ];
    for (const [spec, status, code, lane = 'handed_on'] of cases) {
      const answer = await both(spec);
      expect([answer.status, answer.lane], JSON.stringify(spec).slice(0, 200)).toEqual([status, lane]);
      if (code) expect(JSON.parse(answer.body).code).toBe(code);
    }
  });

  it('hands requests it does not vouch for to the full stack, which answers them', async () => {
    const cases: [Spec, string?][] = [
      [{ body: check('user:anne', 'doc:1', { contextual_tuples: { tuple_keys: null } }) }],
      [{ body: check('user:carl', 'doc:1', { contextual_tuples: { tuple_keys: [{ user: 'user:carl', relation: 'viewer', object: 'doc:1' }] } }) }],
      [{ body: check('user:anne'), chunked: true }],
      [{ raw: `\ufeff${JSON.stringify(check('user:anne'))}` }],
      [{ body: check('user:anne'), query: '?x=1' }, 'not_a_check'],
    ];
    for (const [spec, lane = 'handed_on'] of cases) {
      const answer = await both(spec);
      expect([answer.status, answer.body, answer.lane], JSON.stringify(spec)).toEqual([200, '{"allowed":true}', lane]);
    }
    // An Idempotency-Key stores the reply: each server gets its own key, then replays it.
    for (const server of [lane, plain]) {
      const headers = { 'idempotency-key': `idem-${server.port}` };
      const first = await send(server, { body: check('user:anne'), headers });
      const again = await send(server, { body: check('user:anne'), headers });
      expect([first.status, again.status, again.body]).toEqual([200, 200, first.body]);
    }
  });
});

describe('the Node-level Check lane and the rate limit', () => {
  let h: Harness;
  let lane: RunningServer;
  let storeId: string;
  let key: string;

  beforeAll(async () => {
    h = new Harness({ port: 0, rateLimitBurst: 3, rateLimitPerSecond: 0.001 });
    const a = await h.createTenant('Tenant A');
    storeId = a.authz_store_id;
    await h.json('POST', `/stores/${storeId}/authorization-models`, { body: dslToModel(MODEL) });
    key = (await h.tenantKey(a.id, ['authz:read'])).key;
    lane = await startServer(h.services);
  });
  afterAll(async () => {
    await lane?.close();
    await h?.close();
  });

  const post = async (relation: string) => {
    const res = await fetch(`${lane.url}/stores/${storeId}/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tuple_key: { user: 'user:anne', relation, object: 'doc:1' } }),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { code?: string } };
  };

  it('draws one token per request, answered or handed on, and hands a limited one on for its 429', async () => {
    // Handed on (the engine refuses the relation): the full stack draws the token, once.
    expect((await post('owner')).status).toBe(400);
    expect((await post('viewer')).status).toBe(200);
    expect((await post('viewer')).status).toBe(200);
    const limited = await post('viewer');
    expect([limited.status, limited.body.code]).toEqual([429, 'resource_exhausted']);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
  });
});

describe('the Node-level Check lane, batches and other processes', () => {
  let h: Harness;
  let lane: RunningServer;
  let storeId: string;
  let tenantId: string;
  let key: string;

  beforeAll(async () => {
    h = new Harness({ port: 0, rateLimitBurst: 100_000 });
    const a = await h.createTenant('Tenant A');
    storeId = a.authz_store_id;
    tenantId = a.id;
    await h.json('POST', `/stores/${storeId}/authorization-models`, { body: dslToModel(MODEL) });
    await h.services.authz.write(storeId, { writes: { tuple_keys: [{ user: 'user:dana', relation: 'viewer', object: 'doc:9' }] } });
    key = (await h.tenantKey(a.id, ['authz:read'])).key;
    lane = await startServer(h.services);
  });
  afterAll(async () => {
    await lane?.close();
    await h?.close();
  });

  const checkAt = async (url: string, user: string, bearer = key) => {
    const res = await fetch(`${url}/stores/${storeId}/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tuple_key: { user, relation: 'viewer', object: 'doc:9' } }),
    });
    return { status: res.status, body: await res.text() };
  };
  const answered = async () => (await h.services.metrics.checkLane.get()).values.find((v) => v.labels.outcome === 'answered')?.value ?? 0;

  it('answers concurrent requests each with its own decision, in one turn or several', async () => {
    const users = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 'user:dana' : `user:u${i}`));
    const before = await answered();
    const answers = await Promise.all([...users.map((u) => checkAt(lane.url, u)), checkAt(lane.url, 'user:dana', `${key.slice(0, -4)}AAAA`)]);
    expect(answers.slice(0, -1).map((a) => a.body)).toEqual(users.map((u) => (u === 'user:dana' ? '{"allowed":true}' : '{"allowed":false}')));
    expect(answers.at(-1)?.status).toBe(401);
    expect((await answered()) - before).toBe(users.length);
  });

  it('answers every request of one turn on its own credential and store, authenticating each credential once', async () => {
    const b = await h.createTenant('Tenant B');
    await h.json('POST', `/stores/${b.authz_store_id}/authorization-models`, { body: dslToModel(MODEL) });
    await h.services.authz.write(b.authz_store_id, { writes: { tuple_keys: [{ user: 'user:bea', relation: 'viewer', object: 'doc:9' }] } });
    const keyB = (await h.tenantKey(b.id, ['authz:read'])).key;
    const writeOnly = (await h.tenantKey(tenantId, ['authz:write'])).key;
    const deps = nodeCheckLaneDeps(h.services);
    const authenticated = new Map<string, number>();
    const [byKey, ...others] = deps.authenticators;
    const counting = (token: string) => (authenticated.set(token, (authenticated.get(token) ?? 0) + 1), byKey!(token));
    const handedOn: string[] = [];
    const listener = withNodeCheckLane({ ...deps, authenticators: [counting, ...others] }, (req, res) => {
      handedOn.push(req.headers['x-case'] as string);
      res.writeHead(599).end();
    });
    const cases: [string, string, string, string][] = [
      ['a allowed', key, storeId, 'user:dana'],
      ['a denied', key, storeId, 'user:nobody'],
      ['b allowed', keyB, b.authz_store_id, 'user:bea'],
      ['b key, a store', keyB, storeId, 'user:dana'],
      ['a write-only key', writeOnly, storeId, 'user:dana'],
      ['b store, a key', key, b.authz_store_id, 'user:bea'],
      ['a allowed again', key, storeId, 'user:dana'],
    ];
    // Every request is received within one tick, so the lane starts them all in one turn.
    const answers = await Promise.all(
      cases.map(([name, bearer, store, user]) => {
        const body = JSON.stringify({ tuple_key: { user, relation: 'viewer', object: 'doc:9' } });
        return fakeExchange(listener, `/stores/${store}/check`, { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': String(body.length), 'x-case': name }, body);
      }),
    );
    expect(Object.fromEntries(cases.map(([name], i) => [name, answers[i]]))).toEqual({
      'a allowed': { status: 200, body: '{"allowed":true}' },
      'a denied': { status: 200, body: '{"allowed":false}' },
      'b allowed': { status: 200, body: '{"allowed":true}' },
      'b key, a store': { status: 599, body: '' },
      'a write-only key': { status: 599, body: '' },
      'b store, a key': { status: 599, body: '' },
      'a allowed again': { status: 200, body: '{"allowed":true}' },
    });
    expect(handedOn.sort()).toEqual(['a write-only key', 'b key, a store', 'b store, a key']);
    expect(Object.fromEntries(authenticated)).toEqual({ [key]: 1, [keyB]: 1, [writeOnly]: 1 });
  });

  it('sees a commit by another process made before the request was sent', async () => {
    // A second connection stands for another process (the CLI) writing the same file.
    const other = new Database(h.services.storage.sql.raw.name);
    try {
      const insert = other.prepare(
        `INSERT INTO authz_tuples (store_id, object_type, object_id, relation, user_type, user_id, user_relation, condition_name, inserted_at)
         VALUES (?, 'doc', '9', 'viewer', 'user', ?, '', '', ?)`,
      );
      for (const user of ['erin', 'fred', 'gina']) {
        // Asked twice (the second answer comes from the decision cache), then granted elsewhere.
        const before = await Promise.all([checkAt(lane.url, `user:${user}`), checkAt(lane.url, `user:${user}`)]);
        expect(before.map((a) => a.body)).toEqual(['{"allowed":false}', '{"allowed":false}']);
        insert.run(storeId, user, new Date().toISOString());
        const after = await Promise.all([checkAt(lane.url, `user:${user}`), checkAt(lane.url, `user:${user}`)]);
        expect(after.map((a) => a.body)).toEqual(['{"allowed":true}', '{"allowed":true}']);
      }
    } finally {
      other.close();
    }
  });

  /** A lane server of its own on the same services, with some of its dependencies replaced. */
  async function laneWith(replace: (deps: NodeCheckLaneDeps) => Partial<NodeCheckLaneDeps>, run: (url: string) => Promise<void>) {
    const deps = nodeCheckLaneDeps(h.services);
    const fallback = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(599).end();
    const server = createServer(withNodeCheckLane({ ...deps, ...replace(deps) }, fallback)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.close();
    }
  }

  it('asks the engine only inside a change reading taken once the requests were received', async () => {
    let reading = false;
    const asked: boolean[] = [];
    await laneWith(
      (deps) => ({
        sharedReading: (fn) => {
          reading = true;
          try {
            return deps.sharedReading(fn);
          } finally {
            reading = false;
          }
        },
        check: (id, body) => (asked.push(reading), deps.check(id, body)),
      }),
      async (url) => {
        const answers = await Promise.all(['user:dana', 'user:nobody', 'user:dana'].map((u) => checkAt(url, u)));
        expect(answers.map((a) => a.body)).toEqual(['{"allowed":true}', '{"allowed":false}', '{"allowed":true}']);
      },
    );
    expect(asked).toEqual([true, true, true]);
  });

  it('still answers every request of a turn when the shared change reading fails', async () => {
    await laneWith(
      () => ({
        sharedReading: () => {
          throw new Error('the reading failed');
        },
      }),
      async (url) => {
        const answers = await Promise.all([checkAt(url, 'user:dana'), checkAt(url, 'user:nobody')]);
        expect(answers).toEqual([{ status: 200, body: '{"allowed":true}' }, { status: 200, body: '{"allowed":false}' }]);
      },
    );
  });
});

/** One request through a listener without a socket: the body arrives in the same tick as the call. */
function fakeExchange(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = Object.assign(new PassThrough(), { method: 'POST', url, headers, socket: { remoteAddress: '127.0.0.1' } });
    let status = 0;
    const res = {
      headersSent: false,
      writeHead(code: number) {
        status = code;
        this.headersSent = true;
        return this;
      },
      end(payload?: string) {
        resolve({ status, body: payload ?? '' });
        return this;
      },
    };
    listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    req.end(body);
  });
}
