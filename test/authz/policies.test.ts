import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../src/lib/clock.ts';
import { rmSync } from 'node:fs';
import { OpenFgaEngine } from '../../src/authz/openfga/engine.ts';
import { EmbeddedAuthzEngine } from '../../src/authz/embedded/engine.ts';
import { Storage } from '../../src/storage/storage.ts';
import { tempDir } from '../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { runModelTestFile } from './model-test-runner.ts';

const FILES = {
  'the default model (policies/model.fga.yaml)': fileURLToPath(new URL('../../policies/model.fga.yaml', import.meta.url)),
  'the procurement example (policies/examples/procurement.fga.yaml)': fileURLToPath(
    new URL('../../policies/examples/procurement.fga.yaml', import.meta.url),
  ),
};

const bin = requireOpenFgaBinary();

describe('model assertions on the embedded engine', () => {
  const dir = tempDir('portcullis-policies-');
  const storage = Storage.open(dir, { migrateNow: true });
  const engine = new EmbeddedAuthzEngine(storage, new FakeClock());
  afterAll(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [title, path] of Object.entries(FILES)) {
    it(`passes every assertion of ${title}`, async () => {
      const { failures, assertions } = await runModelTestFile(engine, path);
      expect(failures).toEqual([]);
      expect(assertions).toBeGreaterThan(10);
    });
  }
});

describe.skipIf(!bin)(`model assertions on the real OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  let engine: OpenFgaEngine;
  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    engine = new OpenFgaEngine({
      connection: { url: server.url },
      clock: new FakeClock(),
      limits: { deadlineMs: 0, listUsersMaxResults: 0 },
      consistencyWindowMs: 0,
    });
  });
  afterAll(() => server?.stop());

  for (const [title, path] of Object.entries(FILES)) {
    it(`passes every assertion of ${title}`, async () => {
      const { failures, assertions } = await runModelTestFile(engine, path);
      expect(failures).toEqual([]);
      expect(assertions).toBeGreaterThan(10);
    });
  }
});
