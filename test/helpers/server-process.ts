import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { tempDir } from './harness.ts';

export const BIN = fileURLToPath(new URL('../../bin/portcullis.mjs', import.meta.url));

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  /** The platform key printed on first start, if this start printed one. */
  platformKey: string | undefined;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `portcullis serve` as a real process on a free loopback port and waits until it listens. */
export async function startServerProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir], {
    env: { ...process.env, PORTCULLIS_PORT: '0', PORTCULLIS_HOST: '127.0.0.1', PORTCULLIS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let buffered = '';
  const listening = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        stdout.push(line);
        const m = /^Listening on (http:\/\/\S+)$/.exec(line);
        if (m) resolve(m[1] as string);
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${stderr.join('')}`)));
  });
  const url = await listening;
  const keyLine = stdout.find((l) => /^\s+ptc_key_/.test(l));
  return {
    proc,
    url,
    platformKey: keyLine?.trim(),
    stdout,
    stderr,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * Real server processes and data directories for one test file: `start` and `newDir` keep
 * track of what they make, and every process is killed and directory removed after each test.
 */
export function serverProcesses(): { newDir: () => string; start: (dir: string, env?: Record<string, string>) => Promise<ServerProcess> } {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    newDir: () => {
      const d = tempDir();
      dirs.push(d);
      return d;
    },
    start: async (dir, env = {}) => {
      const s = await startServerProcess(dir, env);
      servers.push(s);
      return s;
    },
  };
}
