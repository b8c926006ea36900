import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { authzHarness } from './backends.ts';

const bin = requireOpenFgaBinary();

const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    { type: 'group', relations: { member: { this: {} } }, metadata: { relations: { member: { directly_related_user_types: [{ type: 'user' }] } } } },
    {
      type: 'doc',
      relations: { viewer: { this: {} } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }, { type: 'group', relation: 'member' }] } } },
    },
  ],
};

async function seed(h: Harness, tuples: { user: string; relation: string; object: string }[]) {
  const t = await h.createTenant(`Lists ${Math.random().toString(36).slice(2, 8)}`);
  const store = t.authz_store_id;
  await h.json('POST', `/stores/${store}/authorization-models`, { body: MODEL });
  for (let i = 0; i < tuples.length; i += 100) {
    const res = await h.json('POST', `/stores/${store}/write`, { body: { writes: { tuple_keys: tuples.slice(i, i + 100) } } });
    expect(res.status).toBe(200);
  }
  return store;
}

describe.skipIf(!bin)(`no silent truncation on the openfga backend (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  describe('with the server capped at 2 results per list', () => {
    let h: Harness;
    let stop: () => Promise<void>;
    let store: string;
    beforeAll(async () => {
      ({ h, stop } = await authzHarness('openfga', {
        serverArgs: ['--listObjects-max-results', '2', '--listUsers-max-results', '2'],
        overrides: { openfgaListUsersMaxResults: 2 },
      }));
      store = await seed(h, [
        ...['1', '2', '3'].map((d) => ({ user: 'user:anne', relation: 'viewer', object: `doc:${d}` })),
        ...['bob', 'carl', 'dora'].map((u) => ({ user: `user:${u}`, relation: 'viewer', object: 'doc:shared' })),
        { user: 'user:erin', relation: 'viewer', object: 'doc:solo' },
      ]);
    });
    afterAll(() => stop());

    it('returns every object of list-objects past the server maximum (streamed underneath), unmarked', async () => {
      const res = await h.json('POST', `/stores/${store}/list-objects`, { body: { type: 'doc', relation: 'viewer', user: 'user:anne' } });
      expect(res.status).toBe(200);
      expect(res.body.objects.sort()).toEqual(['doc:1', 'doc:2', 'doc:3']);
      expect(res.body.truncated).toBeUndefined();
      expect(res.res.headers.get('x-portcullis-truncated')).toBe('false');
    });

    it('streams every object through streamed-list-objects too', async () => {
      const res = await h.request('POST', `/stores/${store}/streamed-list-objects`, { body: { type: 'doc', relation: 'viewer', user: 'user:anne' } });
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.result.object).sort()).toEqual(['doc:1', 'doc:2', 'doc:3']);
    });

    it('marks a list-users answer cut at the maximum as truncated, in the body and the header', async () => {
      const res = await h.json('POST', `/stores/${store}/list-users`, {
        body: { object: { type: 'doc', id: 'shared' }, relation: 'viewer', user_filters: [{ type: 'user' }] },
      });
      expect(res.status).toBe(200);
      expect(res.body.users).toHaveLength(2);
      expect(res.body.truncated).toBe(true);
      expect(res.res.headers.get('x-portcullis-truncated')).toBe('true');
    });

    it('leaves a list-users answer under the maximum unmarked', async () => {
      const res = await h.json('POST', `/stores/${store}/list-users`, {
        body: { object: { type: 'doc', id: 'solo' }, relation: 'viewer', user_filters: [{ type: 'user' }] },
      });
      expect(res.body).toEqual({ users: [{ object: { type: 'user', id: 'erin' } }] });
      expect(res.res.headers.get('x-portcullis-truncated')).toBe('false');
    });
  });

  describe('with a server deadline far too short for the data', () => {
    let h: Harness;
    let stop: () => Promise<void>;
    let store: string;
    beforeAll(async () => {
      ({ h, stop } = await authzHarness('openfga', {
        serverArgs: ['--listObjects-deadline', '1ms', '--listUsers-deadline', '1ms'],
        overrides: { openfgaListDeadlineMs: 1 },
      }));
      const tuples = [];
      for (let g = 0; g < 40; g++) {
        tuples.push({ user: 'user:anne', relation: 'member', object: `group:g${g}` });
        for (let d = 0; d < 50; d++) tuples.push({ user: `group:g${g}#member`, relation: 'viewer', object: `doc:g${g}-${d}` });
      }
      store = await seed(h, tuples);
    });
    afterAll(() => stop());

    it('marks list-objects cut by the deadline as truncated', async () => {
      const res = await h.json('POST', `/stores/${store}/list-objects`, { body: { type: 'doc', relation: 'viewer', user: 'user:anne' } });
      expect(res.status).toBe(200);
      expect(res.body.objects.length).toBeLessThanOrEqual(2000);
      expect(res.body.truncated).toBe(true);
      expect(res.res.headers.get('x-portcullis-truncated')).toBe('true');
    });

    it('marks streamed-list-objects cut by the deadline with a last {"truncated":true} line', async () => {
      const res = await h.request('POST', `/stores/${store}/streamed-list-objects`, { body: { type: 'doc', relation: 'viewer', user: 'user:anne' } });
      expect(res.headers.get('x-portcullis-truncated')).toBe('true');
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[lines.length - 1]).toEqual({ truncated: true });
    });
  });
});
