import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';

/**
 * OpenFGA's field rules are protoc-gen-validate rules run by Go: a user of a stored tuple key is
 * at most 512 bytes (ListObjects' user too), and patterns are RE2 (lengths in code points, `\s`
 * only ASCII whitespace). Each request below is sent to Portcullis and, when the binary is
 * there, to the real OpenFGA server; both must give the status and code listed.
 */
const bin = requireOpenFgaBinary();

const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } } },
  ],
};
const tk = (user: string, object: string) => ({ user, relation: 'viewer', object });
const USER_513_BYTES = `user:${'é'.repeat(254)}`;
const USER_512_BYTES = `user:${'é'.repeat(253)}x`;
const EMOJI_DOC = `doc:${'😀'.repeat(130)}`; // 134 code points, 264 UTF-16 units
const NBSP_DOC = 'doc:a\u00a0b'; // U+00A0 is not whitespace to RE2

interface Case {
  title: string;
  path: string;
  body: unknown;
  status: number;
  code?: string;
  /** For a 200: the response body. */
  answer?: unknown;
}
const CASES: Case[] = [
  { title: 'a write whose user has 513 bytes is refused', path: 'write', body: { writes: { tuple_keys: [tk(USER_513_BYTES, 'doc:1')] } }, status: 400, code: 'validation_error' },
  { title: 'a delete whose user has 513 bytes is refused', path: 'write', body: { deletes: { tuple_keys: [tk(USER_513_BYTES, 'doc:1')] } }, status: 400, code: 'validation_error' },
  { title: 'a contextual tuple whose user has 513 bytes is refused', path: 'check', body: { tuple_key: tk('user:a', 'doc:1'), contextual_tuples: { tuple_keys: [tk(USER_513_BYTES, 'doc:1')] } }, status: 400, code: 'validation_error' },
  { title: 'a ListObjects user of 513 bytes is refused', path: 'list-objects', body: { user: USER_513_BYTES, relation: 'viewer', type: 'doc' }, status: 400, code: 'validation_error' },
  { title: 'nothing of the refused writes was stored', path: 'read', body: { tuple_key: { object: 'doc:1' } }, status: 200, answer: [] },
  { title: 'a user of exactly 512 bytes is written', path: 'write', body: { writes: { tuple_keys: [tk(USER_512_BYTES, 'doc:2')] } }, status: 200 },
  { title: 'an object id of 134 code points (264 UTF-16 units) is written', path: 'write', body: { writes: { tuple_keys: [tk('user:a', EMOJI_DOC)] } }, status: 200 },
  { title: 'and checked', path: 'check', body: { tuple_key: tk('user:a', EMOJI_DOC) }, status: 200, answer: true },
  { title: 'and read', path: 'read', body: { tuple_key: { object: EMOJI_DOC } }, status: 200, answer: [tk('user:a', EMOJI_DOC)] },
  { title: 'an object id with a no-break space is written', path: 'write', body: { writes: { tuple_keys: [tk('user:a', NBSP_DOC)] } }, status: 200 },
  { title: 'and checked', path: 'check', body: { tuple_key: tk('user:a', NBSP_DOC) }, status: 200, answer: true },
  { title: 'a type name with a no-break space is a valid model', path: 'authorization-models', body: { schema_version: '1.1', type_definitions: [{ type: 'us\u00a0er' }] }, status: 201 },
  { title: 'an object id with an ASCII space is still refused', path: 'write', body: { writes: { tuple_keys: [tk('user:a', 'doc:a b')] } }, status: 400, code: 'validation_error' },
];

type Send = (path: string, body: unknown) => Promise<{ status: number; body: any }>;
/** What a case compares: status, code, and the decision or the tuple keys read. */
const outcome = (c: Case, res: { status: number; body: any }) => ({
  status: res.status,
  code: res.status >= 400 ? res.body?.code : undefined,
  answer:
    c.answer === undefined ? undefined
    : c.path === 'check' ? res.body?.allowed
    : (res.body?.tuples ?? []).map((t: { key: { user: string; object: string } }) => tk(t.key.user, t.key.object)),
});
const expected = (c: Case) => ({ status: c.status, code: c.code, answer: c.answer });

async function runCases(send: Send): Promise<void> {
  for (const c of CASES) {
    expect({ title: c.title, ...outcome(c, await send(c.path, c.body)) }).toEqual({ title: c.title, ...expected(c) });
  }
}

describe('OpenFGA field limits on the embedded engine', () => {
  let h: Harness;
  afterAll(async () => h?.close());

  it('refuses users over 512 bytes and accepts ids OpenFGA accepts (code points, ASCII whitespace)', async () => {
    h = new Harness();
    const store = (await h.createTenant('Limits')).authz_store_id;
    expect((await h.json('POST', `/stores/${store}/authorization-models`, { body: MODEL })).status).toBe(201);
    await runCases(async (path, body) => h.json('POST', `/stores/${store}/${path}`, { body }));
  });
});

describe.skipIf(!bin)(`the same requests on the real OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let fga: OpenFgaServer;
  beforeAll(async () => {
    fga = await OpenFgaServer.start(bin as string);
  }, 60_000);
  afterAll(async () => fga?.stop());

  it('gives the answers listed', async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${fga.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const store = (await post('/stores', { name: 'limits' })).body.id as string;
    expect((await post(`/stores/${store}/authorization-models`, MODEL)).status).toBe(201);
    await runCases((path, body) => post(`/stores/${store}/${path}`, body));
  });
});
