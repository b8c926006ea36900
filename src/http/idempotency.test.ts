import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.ts';
import { Storage } from '../storage/storage.ts';
import { idempotency } from './idempotency.ts';
import './context.ts';

/**
 * The middleware over a real idempotency table, in front of a handler that answers what a
 * dependency said: the `/stores` API passes an OpenFGA server's 429 (`resource_exhausted`) through.
 */
describe('idempotency middleware', () => {
  let dir: string;
  let storage: Storage;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-idem-'));
    storage = Storage.open(dir, { migrateNow: true });
  });
  afterEach(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps no 429 reply, so a retry after Retry-After runs the request instead of replaying "too many requests"', async () => {
    const answers = [429, 200];
    let runs = 0;
    const app = new Hono();
    app.use('*', async (c, next) => {
      c.set('principal', { kind: 'platform', credentialId: 'key_TEST' });
      c.set('credentialDigest', 'ab'.repeat(32));
      await next();
    });
    app.use('*', idempotency({ store: storage.unscoped.idempotency, clock: new FakeClock() }));
    app.post('/write', (c) => {
      runs++;
      const status = answers.shift() as 429 | 200;
      return c.json(status === 429 ? { code: 'resource_exhausted' } : { ok: true }, status, status === 429 ? { 'Retry-After': '1' } : {});
    });
    const post = () => app.request('/write', { method: 'POST', headers: { 'idempotency-key': 'w-1', 'content-type': 'application/json' }, body: '{}' });
    expect((await post()).status).toBe(429);
    const retry = await post();
    expect([retry.status, retry.headers.get('idempotency-replayed'), runs]).toEqual([200, null, 2]);
    const replay = await post();
    expect([replay.status, replay.headers.get('idempotency-replayed'), runs]).toEqual([200, 'true', 2]);
  });
});
