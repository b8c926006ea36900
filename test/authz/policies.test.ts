import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../src/lib/clock.ts';
import { OpenFgaEngine } from '../../src/authz/openfga/engine.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { runModelTestFile } from './model-test-runner.ts';

const FILES = {
  'the default model (policies/model.fga.yaml)': fileURLToPath(new URL('../../policies/model.fga.yaml', import.meta.url)),
  'the procurement example (policies/examples/procurement.fga.yaml)': fileURLToPath(
    new URL('../../policies/examples/procurement.fga.yaml', import.meta.url),
  ),
};

const bin = requireOpenFgaBinary();

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
