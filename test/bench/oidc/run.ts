/**
 * `npm run bench:oidc`: client-credentials token issuance (ES256) over HTTP, load from
 * autocannon in this process against the server in a child process; then SAML ACS throughput
 * as a ratio to raw xml-crypto verification of the same responses (and node-saml's own
 * verification alone, the ceiling for that ratio). Prints figures and targets; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchSamlAcs } from './saml-acs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

async function startServer(): Promise<{ info: { url: string; client_id: string; client_secret: string }; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  });
  return { info: JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

async function tokens(): Promise<number> {
  const { info, stop } = await startServer();
  try {
    const result = await autocannon({
      url: `${info.url}/oidc/token`,
      method: 'POST',
      connections: 16,
      duration: SECONDS,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(info.client_id)}:${encodeURIComponent(info.client_secret)}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=authz%3Aread',
    });
    if (result.non2xx > 0) console.log(`  (non-2xx answers: ${result.non2xx})`);
    return (result['2xx'] ?? 0) / SECONDS;
  } finally {
    stop();
  }
}

const perSecond = await tokens();
console.log(`client-credentials tokens (ES256): ${perSecond.toFixed(0)}/s  target ≥ 1000/s  ${perSecond >= 1000 ? 'OK' : 'BELOW TARGET'}`);
const saml = await benchSamlAcs(Number(process.env.BENCH_SAML_RESPONSES ?? 600));
console.log(
  `SAML ACS: ${saml.acsPerSecond.toFixed(0)}/s; raw xml-crypto verification of the same responses: ${saml.rawPerSecond.toFixed(0)}/s; ` +
    `ratio (median round) ${saml.ratio.toFixed(2)}  target ≥ 0.70  ${saml.ratio >= 0.7 ? 'OK' : 'BELOW TARGET'}`,
);
console.log(
  `  node-saml validatePostResponse alone (the ACS's verifier, nothing else): ${saml.nodeSamlPerSecond.toFixed(0)}/s; ratio ${saml.nodeSamlRatio.toFixed(2)}: the ceiling for the ACS ratio`,
);
