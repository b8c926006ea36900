import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TupleKey } from '@openfga/sdk';
import { Harness } from '../../../test/helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../../test/helpers/openfga-server.ts';

const bin = requireOpenFgaBinary();

/**
 * OpenFGA's `--max-tuples-per-write` is the operator's to lower (its default, 100, is what the
 * queue sends at most). A server with a lower limit refuses a larger Write with 400
 * `exceeded_entity_limit`: the queue must then send smaller chunks, not drop the work as invalid
 * (a dropped group deletion leaves every member's tuples in place).
 */
describe.skipIf(!bin)(`queued tuple work on a server with a lower --max-tuples-per-write (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  let h: Harness;
  let store: string;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string, { args: ['--max-tuples-per-write', '10'] });
    h = new Harness({ authz: 'openfga', openfgaUrl: server.url });
    store = (await h.createTenant('Small writes')).authz_store_id;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  const s = () => h.services;
  const members = (group: string, n: number): TupleKey[] => Array.from({ length: n }, (_, i) => ({ user: `user:u${i}`, relation: 'member', object: group }));
  const has = async (t: TupleKey) => (await s().authz.check(store, { tuple_key: t })).allowed;

  it('writes and deletes more tuples than the server takes in one Write, in chunks it accepts', async () => {
    const tuples = members('group:big', 25);
    expect(await s().storage.transaction(() => s().authzWriter.stage(store, { writes: tuples })).flush()).toBe(25);
    expect(await has(tuples[24] as TupleKey)).toBe(true);
    expect(await s().storage.transaction(() => s().authzWriter.stageDeleteTuplesForObject(store, 'group:big')).flush()).toBe(25);
    for (const t of [tuples[0], tuples[12], tuples[24]]) expect(await has(t as TupleKey)).toBe(false);
    expect(s().storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work').get()).toEqual({ n: 0 });
  });
});
