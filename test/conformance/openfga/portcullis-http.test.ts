import { describeConformance } from './define-suite.ts';
import { portcullisTarget } from './targets/portcullis.ts';

// Target (b): Portcullis' /stores HTTP API (embedded engine) through @openfga/sdk.
describeConformance('OpenFGA conformance on Portcullis HTTP API (embedded engine) through @openfga/sdk', () =>
  portcullisTarget('portcullis-http'), { concurrent: true });
