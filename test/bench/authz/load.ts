import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, stopChild } from './children.ts';

/** Where a load goes: a base URL, a store and the headers (the API key). */
export interface Target {
  name: string;
  url: string;
  storeId: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

/** One autocannon load on `POST {url path}/stores/{store}/{path}`, cycling through `bodies`, from its own process. */
export async function load(
  work: string,
  t: Target,
  path: string,
  bodies: unknown[],
  options: { connections: number; duration: number },
): Promise<LoadResult> {
  const bodiesFile = join(work, `bodies-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(bodiesFile, JSON.stringify(bodies.map((b) => JSON.stringify(b))));
  const jobFile = `${bodiesFile}.job`;
  const prefix = new URL(t.url).pathname.replace(/\/$/, '');
  writeFileSync(jobFile, JSON.stringify({ url: t.url, path: `${prefix}/stores/${t.storeId}/${path}`, headers: t.headers, bodiesFile, ...options }));
  const { child, first } = await startChild<LoadResult>('./autocannon-worker.ts', [jobFile]);
  await stopChild(child);
  return first;
}
