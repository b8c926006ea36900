import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Harness } from '../../helpers/harness.ts';
import type { ScimClient } from '../../helpers/scim.ts';

export interface Step {
  name: string;
  request: { method: string; path: string; body?: unknown };
  response: { status: number; body?: unknown };
  capture?: Record<string, string>;
  normalised?: string[];
  absent?: string[];
  deprovisioned?: string;
  membershipRemoved?: { group: string; user: string };
}

export interface Sequence {
  file: string;
  source: string;
  headers: Record<string, string>;
  steps: Step[];
}

export function loadSequences(dir: string): Sequence[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<Sequence, 'file'>) }));
}

/** Replays a recorded sequence, step by step; returns the captured values. */
export async function replay(h: Harness, s: ScimClient, seq: Sequence, onStep?: (step: Step, vars: Record<string, string>) => Promise<void>): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  for (const step of seq.steps) {
    const sub = <T>(v: T): T => substitute(v, vars);
    const res = await s.call(step.request.method, sub(step.request.path), step.request.body === undefined ? undefined : sub(step.request.body), seq.headers);
    const where = `${seq.file}: ${step.name}`;
    expect(res.status, `${where}: ${JSON.stringify(res.body)}`).toBe(step.response.status);
    if (res.body !== undefined) expect(res.res.headers.get('content-type'), where).toBe('application/scim+json');
    if (step.response.body !== undefined) expect(compact(res.body), where).toMatchObject(compact(sub(step.response.body)) as object);
    for (const name of step.absent ?? []) expect(res.body?.[name], `${where}: ${name} should be absent`).toBeUndefined();
    for (const [name, path] of Object.entries(step.capture ?? {})) vars[name] = String(path.split('.').reduce((o: any, k) => o?.[k], res.body));
    if (step.normalised !== undefined) {
      const requestId = res.res.headers.get('x-request-id');
      const page = await h.json('GET', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}/normalisations?limit=200`);
      const rules = page.body.data.filter((r: { request_id: string }) => r.request_id === requestId).map((r: { rule: string }) => r.rule).sort();
      expect(rules, `${where}: normalisations`).toEqual([...step.normalised].sort());
    }
    await onStep?.(step, vars);
  }
  return vars;
}

export function substitute<T>(v: T, vars: Record<string, string>): T {
  if (typeof v === 'string') return v.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? `{{${k}}}`) as T;
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)])) as T;
  return v;
}

/**
 * RFC 7643 §2.5: null and empty values are the same as absent ones. Multi-valued attributes
 * have no order (§2.4), so values carrying a `value` are compared sorted by it.
 */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(compact);
    const byValue = (x: unknown) => String((x as { value?: unknown })?.value ?? '');
    return items.every((x) => x && typeof x === 'object' && 'value' in x) ? items.sort((a, b) => byValue(a).localeCompare(byValue(b))) : items;
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .map(([k, x]) => [k, compact(x)] as const)
        .filter(([, x]) => x !== null && !(Array.isArray(x) && x.length === 0)),
    );
  }
  return v;
}
