import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { overHttp } from './clients.ts';
import { GUARD_CONFIG, routeGuardSuite } from './guard-suite.ts';

/**
 * The same guard over a socket, where requests take paths `app.request()` never does: the
 * Node-level Check lane answers `POST /stores/{id}/check` before the application, bodies arrive
 * with a declared Content-Length, and client-credentials access tokens (minted at /oidc/token)
 * join the authz API's credentials — another tenant's app, a deleted app, a forged signature.
 */
const env = await SsoEnv.start({ config: GUARD_CONFIG });
afterAll(() => env.close());
// The server built its own app from the same services; this one is only read for its routes.
await routeGuardSuite('route guard (over HTTP): every credential-protected route refuses what it must and changes nothing', overHttp(env), createApp(env.services));

describe('the Node check lane under the guard', () => {
  it('answered the rightful Check itself and handed every refused one to the application', async () => {
    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    const count = (outcome: string) => Number(new RegExp(`check_lane[a-z_]*\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('answered')).toBeGreaterThan(0);
    expect(count('handed_on')).toBeGreaterThan(0);
  });
});
