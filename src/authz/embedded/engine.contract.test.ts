import { rmSync } from 'node:fs';
import { describeEngineContract } from '../engine.contract.ts';
import { FakeClock } from '../../lib/clock.ts';
import { Storage } from '../../storage/storage.ts';
import { tempDir } from '../../../test/helpers/harness.ts';
import { EmbeddedAuthzEngine } from './engine.ts';

describeEngineContract('embedded (SQLite)', () => {
  const dir = tempDir('portcullis-authz-contract-');
  const storage = Storage.open(dir, { migrateNow: true });
  const clock = new FakeClock('2026-03-01T10:00:00.000Z');
  const engine = new EmbeddedAuthzEngine(storage, { now: () => (clock.advance(1), clock.now()) });
  return {
    engine,
    close: async () => {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
