import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';

/**
 * Differential tests: the same request sent to Portcullis (embedded backend, through the full
 * HTTP stack) and to the real OpenFGA server gets the same status and error code (and message,
 * where OpenFGA's is stable), and for reads the same tuples. Each case is a place where the two
 * once answered differently.
 */
const bin = requireOpenFgaBinary();

const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'doc',
      relations: { viewer: { this: {} } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }, { type: 'user', wildcard: {} }] } } },
    },
  ],
};
const tk = (user: string, relation: string, object: string) => ({ user, relation, object });
const SEED = [tk('user:u1', 'viewer', 'doc:1'), tk('user:*', 'viewer', 'doc:2')];

interface Answer {
  status: number;
  body: any;
}
/** A request as both servers take it: `raw` is the exact body text (undefined: no body at all). */
interface Sent {
  method: string;
  path: string;
  raw?: string;
}

describe.skipIf(!bin)(`Portcullis (embedded) answers like the real OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let h: Harness;
  let server: OpenFgaServer;
  let ours: { store: string; model: string };
  let theirs: { store: string; model: string };

  const fga = async (method: string, path: string, raw?: string): Promise<Answer> => {
    const res = await fetch(`${server.url}${path}`, { method, body: raw, headers: raw === undefined ? {} : { 'content-type': 'application/json' } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const portcullis = async (method: string, path: string, raw?: string): Promise<Answer> => {
    const res = await h.json(method, path, raw === undefined ? {} : { rawBody: raw, headers: { 'content-type': 'application/json' } });
    return { status: res.status, body: res.body };
  };
  const path = (side: { store: string; model: string }, p: string) => `/stores/${side.store}/${p.replace('$MODEL', side.model)}`;
  /** Sends `req` to both; returns Portcullis' answer and OpenFGA's. */
  const both = async (req: Sent): Promise<{ ours: Answer; theirs: Answer }> => ({
    ours: await portcullis(req.method, path(ours, req.path), req.raw),
    theirs: await fga(req.method, path(theirs, req.path), req.raw),
  });
  const refusal = (a: Answer, withMessage: boolean) => ({ status: a.status, code: a.body?.code, ...(withMessage ? { message: a.body?.message } : {}) });
  /** The same status, code and (when stable) message, and a 4xx. */
  const sameRefusal = async (req: Sent, withMessage = true) => {
    const { ours: p, theirs: f } = await both(req);
    expect({ req, ...refusal(p, withMessage) }).toEqual({ req, ...refusal(f, withMessage) });
    expect(f.status).toBeGreaterThanOrEqual(400);
    return f;
  };
  const keys = (a: Answer) => (a.body?.tuples ?? []).map((t: { key: { user: string; relation: string; object: string } }) => tk(t.key.user, t.key.relation, t.key.object));
  const readAll = async () => ({ ours: keys(await portcullis('POST', path(ours, 'read'), '{}')), theirs: keys(await fga('POST', path(theirs, 'read'), '{}')) });

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    h = new Harness();
    const store = (await h.createTenant('Parity')).authz_store_id;
    ours = { store, model: (await h.json('POST', `/stores/${store}/authorization-models`, { body: MODEL })).body.authorization_model_id };
    const created = (await fga('POST', '/stores', JSON.stringify({ name: 'parity' }))).body.id as string;
    theirs = { store: created, model: (await fga('POST', `/stores/${created}/authorization-models`, JSON.stringify(MODEL))).body.authorization_model_id };
    const seed = JSON.stringify({ writes: { tuple_keys: SEED } });
    expect((await portcullis('POST', path(ours, 'write'), seed)).status).toBe(200);
    expect((await fga('POST', path(theirs, 'write'), seed)).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it('refuses a whole BatchCheck when one item has more than 100 contextual tuples', async () => {
    const ctx = Array.from({ length: 101 }, (_, i) => tk(`user:x${i}`, 'viewer', `doc:w${i}`));
    const checks = [
      { tuple_key: tk('user:u1', 'viewer', 'doc:1'), correlation_id: 'plain' },
      { tuple_key: tk('user:u1', 'viewer', 'doc:1'), correlation_id: 'crowded', contextual_tuples: { tuple_keys: ctx } },
    ];
    const f = await sameRefusal({ method: 'POST', path: 'batch-check', raw: JSON.stringify({ checks }) });
    expect(f).toMatchObject({ status: 400, body: { code: 'validation_error' } });
  });

  it('refuses a page size no int32 holds with validation_error, as a JSON number, a string, or a query parameter', async () => {
    for (const req of [
      { method: 'POST', path: 'read', raw: '{"page_size":99999999999}' },
      { method: 'POST', path: 'read', raw: '{"page_size":"99999999999"}' },
      { method: 'POST', path: 'read', raw: '{"page_size":2147483648}' },
      { method: 'GET', path: 'changes?page_size=99999999999' },
      { method: 'GET', path: 'authorization-models?page_size=99999999999' },
    ]) {
      // OpenFGA's messages name a line and column of its parser: only the code is compared.
      expect((await sameRefusal(req, false)).body.code).toBe('validation_error');
    }
  });

  it('refuses a ListObjects or ListUsers type that breaks the type pattern with type_invalid_pattern and OpenFGA’s message', async () => {
    const listObjects = (type: string) => ({ method: 'POST', path: 'list-objects', raw: JSON.stringify({ type, relation: 'viewer', user: 'user:u1' }) });
    const listUsers = (objectType: string, filterType: string) => ({
      method: 'POST',
      path: 'list-users',
      raw: JSON.stringify({ object: { type: objectType, id: '1' }, relation: 'viewer', user_filters: [{ type: filterType }] }),
    });
    for (const req of [listObjects('do c'), listObjects('doc:1'), listObjects(''), listUsers('do c', 'user'), listUsers('doc', 'us er'), listUsers('doc', '')]) {
      expect((await sameRefusal(req)).body.code).toBe('type_invalid_pattern');
    }
  });

  describe('a missing or empty body', () => {
    const endpoints = [
      ['POST', 'check'],
      ['POST', 'batch-check'],
      ['POST', 'write'],
      ['POST', 'expand'],
      ['POST', 'list-objects'],
      ['POST', 'list-users'],
      ['POST', 'authorization-models'],
    ] as const;
    for (const [method, p] of endpoints) {
      it(`answers ${p} with no body, an empty JSON body or {} as OpenFGA does`, async () => {
        for (const raw of [undefined, '', '{}']) await sameRefusal({ method, path: p, raw });
      });
    }

    it('answers read and write-assertions with no body, an empty JSON body or {} as OpenFGA does (every tuple; no assertions)', async () => {
      for (const raw of [undefined, '', '{}']) {
        const read = await both({ method: 'POST', path: 'read', raw });
        expect({ raw, status: read.ours.status, tuples: keys(read.ours) }).toEqual({ raw, status: read.theirs.status, tuples: keys(read.theirs) });
        expect(read.theirs.status).toBe(200);
        const put = await both({ method: 'PUT', path: 'assertions/$MODEL', raw });
        expect({ raw, status: put.ours.status }).toEqual({ raw, status: put.theirs.status });
        const got = await both({ method: 'GET', path: 'assertions/$MODEL' });
        expect(got.ours.body.assertions).toEqual(got.theirs.body.assertions);
      }
    });
  });

  it('refuses deleting a tuple whose user is the bare * or whose relation is empty as a tuple that does not exist', async () => {
    const deletes = (key: object, onMissing?: string) => JSON.stringify({ deletes: { tuple_keys: [key], ...(onMissing ? { on_missing: onMissing } : {}) } });
    for (const key of [tk('*', 'viewer', 'doc:2'), tk('user:u9', '', 'doc:1'), { user: 'user:u9', object: 'doc:1' }]) {
      const f = await sameRefusal({ method: 'POST', path: 'write', raw: deletes(key) });
      expect(f.body.code).toBe('write_failed_due_to_invalid_input');
      const ignored = await both({ method: 'POST', path: 'write', raw: deletes(key, 'ignore') });
      expect({ key, status: ignored.ours.status }).toEqual({ key, status: ignored.theirs.status });
    }
    const after = await readAll();
    expect(after.ours).toEqual(after.theirs);
    expect(after.ours).toEqual(SEED);
  });

  it('reads nothing for a user filter with an empty relation (user:u1#)', async () => {
    for (const filter of [{ user: 'user:u1#', object: 'doc:' }, tk('user:u1#', 'viewer', 'doc:1')]) {
      const read = await both({ method: 'POST', path: 'read', raw: JSON.stringify({ tuple_key: filter }) });
      expect({ filter, status: read.ours.status, tuples: keys(read.ours) }).toEqual({ filter, status: read.theirs.status, tuples: keys(read.theirs) });
    }
    expect(keys(await portcullis('POST', path(ours, 'read'), JSON.stringify({ tuple_key: { user: 'user:u1', object: 'doc:' } })))).toEqual([SEED[0]]);
  });
});
