import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, as DESIGN.md says: headless, no sandbox (root in
 * CI), and without the background networking this machine's closed network refuses.
 *
 * Locating the binary: `PORTCULLIS_CHROMIUM_BIN`, else `/usr/bin/chromium`. Tests that need it
 * call `requireChromium()` at collection time: undefined when it is missing (the caller skips
 * with `CHROMIUM_MISSING_REASON`), except under `PORTCULLIS_REQUIRE_CHROMIUM=1` (CI), where a
 * missing browser is an error.
 */
export const CHROMIUM_MISSING_REASON = 'Chromium was not found (set PORTCULLIS_CHROMIUM_BIN, or `apt-get install -y chromium`)';

export function requireChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = env.PORTCULLIS_CHROMIUM_BIN || '/usr/bin/chromium';
  try {
    accessSync(bin, constants.X_OK);
    return bin;
  } catch {
    if (env.PORTCULLIS_REQUIRE_CHROMIUM === '1') throw new Error(`PORTCULLIS_REQUIRE_CHROMIUM=1 but ${CHROMIUM_MISSING_REASON}`);
    console.warn(`Skipping the browser cases: ${CHROMIUM_MISSING_REASON}.`);
    return undefined;
  }
}

/**
 * `localhost` is pinned to 127.0.0.1 (servers in tests bind there only), so a site served on
 * `localhost` and one on `127.0.0.1` are different sites to the browser (SameSite rules apply
 * between them) while both are secure contexts.
 */
export function launchChromium(bin: string): Promise<Browser> {
  return chromium.launch({
    executablePath: bin,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP localhost 127.0.0.1',
    ],
  });
}
