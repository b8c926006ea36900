import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { RETIRED_KEY_GRACE_SECONDS } from '../../../src/oidc/constants.ts';
import { startServer, type RunningServer } from '../../../src/server.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A retired signing key is published until its `expires_at`, then drops out of the JWKS. The
 * provider is rebuilt when the key set changes; time passing changes which keys are current
 * without changing the table, and a long-running server must notice that too.
 */
describe('a retired signing key whose publication window has ended', () => {
  let h: Harness | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    await h?.close();
  });

  const kids = async (_: Harness) =>
    ((await (await fetch(`${server?.url}/oidc/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();

  it('drops out of the JWKS of a server that keeps running, without any further key change', async () => {
    h = new Harness();
    server = await startServer(h.services);
    const first = await kids(h);
    expect(first).toHaveLength(2);
    const rotated = h.services.sso.oidcKeys.rotate(systemActor());
    expect(rotated.retired.sort()).toEqual(first);
    await pause(1100);
    expect(await kids(h)).toEqual([...first, ...rotated.created].sort());

    h.clock.advance((RETIRED_KEY_GRACE_SECONDS + 60) * 1000);
    await pause(1100);
    expect(await kids(h)).toEqual([...rotated.created].sort());
  });
});
