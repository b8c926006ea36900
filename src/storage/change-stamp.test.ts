import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { Sql, openDatabase } from './database.ts';
import { ChangeStamp, StampedCache } from './change-stamp.ts';
import { tempDir } from '../../test/helpers/harness.ts';

describe('change stamp and stamped cache', () => {
  let dir: string;
  const open: Sql[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const connect = () => {
    const sql = new Sql(openDatabase(join(dir, 'c.db')));
    open.push(sql);
    return sql;
  };
  const setup = () => {
    dir = tempDir();
    const a = connect();
    a.raw.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT) STRICT');
    a.raw.prepare(`INSERT INTO t VALUES ('x', 'one')`).run();
    return a;
  };
  const read = (sql: Sql) => (sql.raw.prepare(`SELECT v FROM t WHERE k = 'x'`).get() as { v: string }).v;

  it('serves a cached row until this connection writes', () => {
    const a = setup();
    let clock = 0;
    const cache = new StampedCache<string>(new ChangeStamp(a, 1, () => clock));
    let loads = 0;
    const get = () => cache.get('x', () => (loads++, read(a)));
    expect([get(), get()]).toEqual(['one', 'one']);
    expect(loads).toBe(1);
    a.raw.prepare(`UPDATE t SET v = 'two'`).run();
    expect(get()).toBe('two');
    expect(loads).toBe(2);
  });

  it('sees a commit by another connection once the memo window has passed', () => {
    const a = setup();
    const b = connect();
    let clock = 0;
    const cache = new StampedCache<string>(new ChangeStamp(a, 1, () => clock));
    expect(cache.get('x', () => read(a))).toBe('one');
    b.raw.prepare(`UPDATE t SET v = 'from-cli'`).run();
    clock += 2;
    expect(cache.get('x', () => read(a))).toBe('from-cli');
  });

  it('reads through inside a transaction, so a rolled-back row is never cached', () => {
    const a = setup();
    const cache = new StampedCache<string>(new ChangeStamp(a, 1, () => 0));
    expect(() =>
      a.transaction(() => {
        a.raw.prepare(`UPDATE t SET v = 'uncommitted'`).run();
        expect(cache.get('x', () => read(a))).toBe('uncommitted');
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(cache.get('x', () => read(a))).toBe('one');
  });

  it('takes one fresh exact reading for `shared` and gives it to every exact() inside, until this connection writes', () => {
    const a = setup();
    const b = connect();
    // A frozen clock: the memo never expires on its own, so only exact readings see `b`.
    const stamp = new ChangeStamp(a, 1, () => 0);
    const first = stamp.exact();
    b.raw.prepare(`UPDATE t SET v = 'before the batch'`).run();
    const inside = stamp.shared(() => {
      const opened = stamp.exact();
      b.raw.prepare(`UPDATE t SET v = 'during the batch'`).run();
      const shared = stamp.exact();
      a.raw.prepare(`UPDATE t SET v = 'own write'`).run();
      return { opened, shared, afterOwnWrite: stamp.exact() };
    });
    // The reading at the start of `shared` saw b's earlier commit; b's commit inside was not read
    // again until a's own write forced a fresh reading.
    expect(inside.opened).not.toBe(first);
    expect(inside.shared).toBe(inside.opened);
    expect(inside.afterOwnWrite).not.toBe(inside.shared);
    const settled = stamp.exact();
    b.raw.prepare(`UPDATE t SET v = 'after the batch'`).run();
    expect(stamp.exact()).not.toBe(settled);
    // Outside `shared` every exact() reads: an unchanged database keeps its stamp.
    expect(stamp.exact()).toBe(stamp.exact());
  });
});
