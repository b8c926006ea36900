import { describeConformance } from './define-suite.ts';
import { embeddedTarget } from './targets/embedded.ts';

describeConformance('OpenFGA conformance on the embedded engine', embeddedTarget);
