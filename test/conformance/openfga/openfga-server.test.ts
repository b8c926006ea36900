import { OpenFgaServer, OPENFGA_MISSING_REASON, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { describeConformance } from './define-suite.ts';
import { sdkTarget } from './targets/openfga-sdk.ts';

// Target (d): the real OpenFGA server through @openfga/sdk — proves the runner itself.
const bin = requireOpenFgaBinary();

describeConformance(
  'OpenFGA conformance on the real OpenFGA server',
  async () => {
    const server = await OpenFgaServer.start(bin as string);
    return { ...sdkTarget('openfga-server', server.url), close: () => server.stop() };
  },
  { concurrent: true, skipReason: bin ? undefined : OPENFGA_MISSING_REASON },
);
