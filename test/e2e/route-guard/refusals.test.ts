import { afterAll } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { inProcess } from './clients.ts';
import { GUARD_CONFIG, routeGuardSuite } from './guard-suite.ts';

const h = new Harness(GUARD_CONFIG);
afterAll(() => h.close());
await routeGuardSuite('route guard (in process): every credential-protected route refuses what it must and changes nothing', inProcess(h), h.app);
