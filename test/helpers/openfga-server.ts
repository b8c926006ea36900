import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * A real OpenFGA server (the Go binary) for tests: `openfga run --datastore-engine memory`
 * bound to loopback on free ports, with the playground, metrics and profiler off.
 *
 * Locating the binary: `PORTCULLIS_OPENFGA_BIN`, else `openfga` on PATH, else
 * `$(go env GOPATH)/bin/openfga`. Tests that need it call `requireOpenFgaBinary()` at collection
 * time: it returns undefined when the binary is missing (so the caller can `describe.skipIf`
 * with a stated reason), except under `PORTCULLIS_REQUIRE_OPENFGA=1`, where a missing binary
 * is an error (CI must never skip these cases).
 */
export function findOpenFgaBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.PORTCULLIS_OPENFGA_BIN;
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'openfga'))) return join(dir, 'openfga');
  }
  const go = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8', timeout: 10_000 });
  const gopath = go.status === 0 ? go.stdout.trim() : '';
  if (gopath && isExecutable(join(gopath, 'bin', 'openfga'))) return join(gopath, 'bin', 'openfga');
  return undefined;
}

export const OPENFGA_MISSING_REASON =
  'the OpenFGA server binary was not found (set PORTCULLIS_OPENFGA_BIN, put `openfga` on PATH, or ' +
  '`go install github.com/openfga/openfga/cmd/openfga@v1.18.1`)';

/** The binary path, or undefined (with a console note) when it is absent and not required. */
export function requireOpenFgaBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = findOpenFgaBinary(env);
  if (bin) return bin;
  if (env.PORTCULLIS_REQUIRE_OPENFGA === '1') {
    throw new Error(`PORTCULLIS_REQUIRE_OPENFGA=1 but ${OPENFGA_MISSING_REASON}`);
  }
  console.warn(`Skipping the real-OpenFGA cases: ${OPENFGA_MISSING_REASON}.`);
  return undefined;
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface OpenFgaServerOptions {
  /** Extra `openfga run` flags, e.g. `['--listObjects-max-results', '0']`. */
  args?: string[];
  /** How long to wait for `/healthz`. */
  startTimeoutMs?: number;
}

/** A running OpenFGA server; `url` is its HTTP API origin. Call `stop()` when done. */
export class OpenFgaServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {}

  /** Starts a server; retries on fresh ports when another process took a probed port first. */
  static async start(bin: string, options: OpenFgaServerOptions = {}): Promise<OpenFgaServer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await OpenFgaServer.startOnce(bin, options);
      } catch (err) {
        if (attempt >= 3 || !/address already in use/.test(String(err))) throw err;
      }
    }
  }

  private static async startOnce(bin: string, options: OpenFgaServerOptions): Promise<OpenFgaServer> {
    const [http, grpc] = [await freePort(), await freePort()];
    const args = [
      'run',
      '--datastore-engine', 'memory',
      '--http-addr', `127.0.0.1:${http}`,
      '--grpc-addr', `127.0.0.1:${grpc}`,
      '--playground-enabled=false',
      '--metrics-enabled=false',
      '--profiler-enabled=false',
      '--log-level', 'warn',
      ...(options.args ?? []),
    ];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const server = new OpenFgaServer(`http://127.0.0.1:${http}`, child, () => log);
    await server.waitReady(options.startTimeoutMs ?? 30_000);
    return server;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`openfga exited with ${this.child.exitCode} before it was ready:\n${this.output()}`);
      }
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`openfga did not become ready within ${timeoutMs} ms:\n${this.output()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
