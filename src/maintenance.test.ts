import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load.ts';
import { buildServices } from './services.ts';
import { FakeClock } from './lib/clock.ts';
import { tempDir } from '../test/helpers/harness.ts';
import { runMaintenance } from './maintenance.ts';

describe('server maintenance', () => {
  const dir = tempDir('portcullis-maintenance-');
  const clock = new FakeClock('2026-03-01T12:00:00.000Z');
  const s = buildServices(loadConfig({}, { dataDir: dir, logLevel: 'silent' }), { clock });
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes idempotency records past their replay window, and only those', async () => {
    const store = s.storage.unscoped.idempotency;
    const record = (key: string, expires: string) =>
      store.reserve({ credential_id: 'key_1', idempotency_key: key, request_hash: 'h', created_at: '2026-02-28T12:00:00.000Z', expires_at: expires }, '2026-02-28T12:00:00.000Z');
    expect(record('old', '2026-03-01T11:59:59.000Z')).toBe(true);
    expect(record('live', '2026-03-02T11:00:00.000Z')).toBe(true);
    const result = await runMaintenance(s, clock);
    expect(result.idempotencyPurged).toBe(1);
    expect(store.find('key_1', 'old')).toBeUndefined();
    expect(store.find('key_1', 'live')).toMatchObject({ request_hash: 'h' });
    expect((await runMaintenance(s, clock)).idempotencyPurged).toBe(0);
  });
});
