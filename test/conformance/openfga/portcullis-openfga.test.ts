import { OpenFgaServer, OPENFGA_MISSING_REASON, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { describeConformance } from './define-suite.ts';
import { portcullisTarget } from './targets/portcullis.ts';

// Target (c): Portcullis configured with the openfga backend (PORTCULLIS_AUTHZ=openfga) against
// a real OpenFGA server, reached through Portcullis' /stores API with @openfga/sdk.
const bin = requireOpenFgaBinary();

describeConformance(
  'OpenFGA conformance on Portcullis with the openfga backend',
  async () => {
    const server = await OpenFgaServer.start(bin as string);
    const target = await portcullisTarget('portcullis-openfga', { authz: 'openfga', openfgaUrl: server.url });
    return {
      ...target,
      async close() {
        await target.close?.();
        await server.stop();
      },
    };
  },
  { concurrent: true, skipReason: bin ? undefined : OPENFGA_MISSING_REASON },
);
