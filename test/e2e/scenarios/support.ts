import * as client from 'openid-client';
import { expect } from 'vitest';

/**
 * What the scenarios share: an IdP's SCIM client over real HTTP (its User-Agent, Entra's
 * compliance flag on every request as Entra appends it to the tenant URL), an admin's view of the
 * audit log through the admin API, and the app's authorization check with a client-credentials
 * token, as a deployment does them.
 */
export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const patchOp = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

export interface ScimResponse {
  status: number;
  body: any;
  headers: Headers;
}

export type ScimCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ScimResponse>;

/**
 * A SCIM client as an IdP runs it against a tenant URL. `tenantUrl` is what the admin typed into
 * the IdP (Entra: the directory's base_url + `?aadOptscim062020`): its query string is kept on
 * every request, in front of the request's own parameters.
 */
export function scimClient(tenantUrl: string, token: string, userAgent: string): ScimCall {
  const u = new URL(tenantUrl);
  const flag = u.search.slice(1);
  const base = `${u.origin}${u.pathname.replace(/\/$/, '')}`;
  return async (method, path, body, headers = {}) => {
    const [p, q] = path.split('?') as [string, string | undefined];
    const query = [flag, q].filter(Boolean).join('&');
    const res = await fetch(`${base}${p}${query ? `?${query}` : ''}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'user-agent': userAgent, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}

/** An admin API call with a given key (the IT admin's tenant key, not the platform's). */
export async function adminCall<T = any>(base: string, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text && /^application\/json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text) as T, headers: res.headers };
}

/** `adminCall` that must succeed. */
export async function adminOk<T = any>(base: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await adminCall<T>(base, key, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The tenant's audit log as an admin exports it (oldest first), and the chain's verdict. */
export async function exportedAudit(base: string, key: string, tenant: string): Promise<{ events: any[]; verdict: any }> {
  const exported = await adminCall<string>(base, key, 'GET', `/tenants/${tenant}/audit/export?format=ndjson`);
  expect(exported.status).toBe(200);
  const events = String(exported.body).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const verdict = (await adminCall(base, key, 'GET', `/tenants/${tenant}/audit/verify`)).body;
  return { events, verdict };
}

/** Asserts that `expected` occurs in `actions` in this order (other events may come between). */
export function expectInOrder(actions: string[], expected: string[]): void {
  let at = -1;
  for (const want of expected) {
    const next = actions.indexOf(want, at + 1);
    expect(next, `${want} after position ${at} in ${actions.join(', ')}`).toBeGreaterThan(at);
    at = next;
  }
}

/**
 * The app's own authorization call: discovers its store with `GET /stores` and asks Check, with a
 * client-credentials access token as the bearer credential.
 */
export async function appCheck(base: string, accessToken: string, tuple: { user: string; relation: string; object: string }): Promise<boolean> {
  const auth = { authorization: `Bearer ${accessToken}` };
  const stores = (await (await fetch(`${base}/stores`, { headers: auth })).json()) as { stores: { id: string }[] };
  expect(stores.stores).toHaveLength(1);
  const res = await fetch(`${base}/stores/${stores.stores[0]!.id}/check`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ tuple_key: tuple }) });
  const body = (await res.json()) as { allowed?: boolean };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.allowed === true;
}

/** The code-for-tokens exchange of the app, with PKCE and state checks (openid-client). */
export async function exchange(rp: client.Configuration, landed: string, flow: { verifier: string; state: string }) {
  return client.authorizationCodeGrant(rp, new URL(landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
}
