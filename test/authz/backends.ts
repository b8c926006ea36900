import type { SettingKey } from '../../src/config/schema.ts';
import { Harness } from '../helpers/harness.ts';
import { OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';

export type BackendName = 'embedded' | 'openfga';

const bin = requireOpenFgaBinary();

/** The backends a suite can run on here: embedded always, openfga when the server binary exists. */
export const BACKENDS: BackendName[] = bin ? ['embedded', 'openfga'] : ['embedded'];

/** A Harness on `backend`; for openfga it also starts a real OpenFGA server (extra flags allowed). */
export async function authzHarness(
  backend: BackendName,
  options: { overrides?: Partial<Record<SettingKey, unknown>>; serverArgs?: string[] } = {},
): Promise<{ h: Harness; stop: () => Promise<void> }> {
  if (backend === 'embedded') {
    const h = new Harness(options.overrides);
    return { h, stop: () => h.close() };
  }
  const server = await OpenFgaServer.start(bin as string, { args: options.serverArgs });
  const h = new Harness({ authz: 'openfga', openfgaUrl: server.url, ...options.overrides });
  return {
    h,
    stop: async () => {
      await h.close();
      await server.stop();
    },
  };
}
