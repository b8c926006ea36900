import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LineBatcher } from './line-batcher.ts';

const dirs: string[] = [];
const batchers: LineBatcher[] = [];
afterEach(() => {
  for (const b of batchers.splice(0)) b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A batcher over a real sonic-boom stream writing to a file, as the server uses on stdout. */
function fileBatcher(chunkChars: number, intervalMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-batcher-'));
  dirs.push(dir);
  const file = join(dir, 'out.log');
  const batcher = new LineBatcher(pino.destination({ dest: file, sync: true }), chunkChars, intervalMs);
  batchers.push(batcher);
  return { batcher, read: () => readFileSync(file, 'utf8') };
}
const flushed = (b: LineBatcher) => new Promise<void>((resolve, reject) => b.flush((err) => (err ? reject(err) : resolve())));
const waitFor = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

describe('LineBatcher', () => {
  it('holds short lines until the interval, then writes them in order', async () => {
    const { batcher, read } = fileBatcher(10_000, 200);
    await new Promise((r) => setTimeout(r, 20));
    batcher.write('one\n');
    batcher.write('two\n');
    await new Promise((r) => setTimeout(r, 30));
    expect(read()).toBe('');
    expect(await waitFor(() => read() === 'one\ntwo\n')).toBe(true);
  });

  it('hands a chunk over as soon as the pending lines reach the chunk size', async () => {
    const { batcher, read } = fileBatcher(100, 60_000);
    const line = `${'x'.repeat(39)}\n`;
    batcher.write(line);
    batcher.write(line);
    await new Promise((r) => setTimeout(r, 50));
    expect(read()).toBe('');
    batcher.write(line);
    expect(await waitFor(() => read() === line.repeat(3))).toBe(true);
  });

  it('flush calls back once every line is in the file', async () => {
    const { batcher, read } = fileBatcher(1_000_000, 60_000);
    const lines = Array.from({ length: 5000 }, (_, i) => `{"n":${i}}\n`);
    for (const l of lines) batcher.write(l);
    await flushed(batcher);
    expect(read()).toBe(lines.join(''));
  });

  it('drops lines quietly once its sink is closed, instead of throwing from a log call or the exit hook', async () => {
    const { batcher, read } = fileBatcher(10, 60_000);
    const sink = (batcher as unknown as { sink: { end(): void; destroyed: boolean } }).sink;
    batcher.write('before\n');
    batcher.flushSync();
    sink.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => batcher.write('after the end, long enough to hand over\n')).not.toThrow();
    expect(() => batcher.flushSync()).not.toThrow();
    expect(read()).toBe('before\n');
  });

  it('writes pending lines when the process exits without flushing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-batcher-exit-'));
    dirs.push(dir);
    const file = join(dir, 'out.log');
    const script = `
      import pino from 'pino';
      import { LineBatcher } from ${JSON.stringify(new URL('./line-batcher.ts', import.meta.url).pathname)};
      const b = new LineBatcher(pino.destination({ dest: ${JSON.stringify(file)}, sync: true }), 1_000_000, 60_000);
      b.write('last words\\n');
      process.exit(3);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
    expect(r.status, r.stderr).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe('last words\n');
  });
});
