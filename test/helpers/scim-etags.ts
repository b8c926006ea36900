import { expect } from 'vitest';
import type { ScimClient } from './scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The resource's current ETag (as a GET returns it). */
export async function etagOf(s: ScimClient, path: string): Promise<string> {
  const r = await s.call('GET', path);
  expect(r.status).toBe(200);
  return r.res.headers.get('etag') as string;
}

/** `If-None-Match` with the ETag still current answers 304. */
export async function expectUnchanged(s: ScimClient, path: string, etag: string): Promise<void> {
  const r = await s.call('GET', path, undefined, { 'if-none-match': etag });
  expect(r.status, `${path} kept ${etag}`).toBe(304);
}

/**
 * `old` no longer names the resource: `If-None-Match: old` answers 200 with a new ETag (the body,
 * projected by `query`, is returned for the caller to check); `If-Match: old` on PATCH, PUT and DELETE answers 412 and
 * changes nothing (same ETag and body afterwards).
 */
export async function expectStale(s: ScimClient, path: string, old: string, query = ''): Promise<any> {
  const fresh = await s.call('GET', `${path}${query}`, undefined, { 'if-none-match': old });
  expect(fresh.status, `${path} still answers 304 for ${old}`).toBe(200);
  const current = fresh.res.headers.get('etag') as string;
  expect(current).not.toBe(old);
  if (fresh.body.meta) expect(fresh.body.meta.version).toBe(current);
  const before = (await s.call('GET', path)).body;
  const isUser = path.includes('/Users/');
  const patch = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: isUser ? 'title' : 'externalId', value: 'stale-write' }] };
  const { id: _id, meta: _meta, groups: _groups, ...writable } = before;
  const put = { ...writable, [isUser ? 'title' : 'externalId']: 'stale-write' };
  for (const [method, body] of [['PATCH', patch], ['PUT', put], ['DELETE', undefined]] as const) {
    const r = await s.call(method, path, body, { 'if-match': old });
    expect(r.status, `${method} ${path} with If-Match ${old}`).toBe(412);
  }
  const after = await s.call('GET', path);
  expect(after.res.headers.get('etag')).toBe(current);
  expect(after.body).toEqual(before);
  return fresh.body;
}
