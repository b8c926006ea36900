import { describe, it } from 'vitest';
import { describeEngineContract } from '../engine.contract.ts';
import { FakeClock } from '../../lib/clock.ts';
import { OpenFgaServer, OPENFGA_MISSING_REASON, requireOpenFgaBinary } from '../../../test/helpers/openfga-server.ts';
import { OpenFgaEngine } from './engine.ts';

const bin = requireOpenFgaBinary();

if (bin) {
  describeEngineContract('openfga (a real OpenFGA server through @openfga/sdk)', async () => {
    const server = await OpenFgaServer.start(bin);
    const engine = new OpenFgaEngine({
      connection: { url: server.url },
      clock: new FakeClock(),
      limits: { deadlineMs: 3000, listUsersMaxResults: 1000 },
      consistencyWindowMs: 10_000,
    });
    return { engine, close: () => server.stop() };
  });
} else {
  describe('AuthzEngine contract: openfga', () => {
    it.skip(`skipped: ${OPENFGA_MISSING_REASON}`, () => {});
  });
}
