import type { Harness } from './harness.ts';

export interface ScimClient {
  tenantId: string;
  storeId: string;
  directoryId: string;
  token: string;
  /** `/scim/v2/{directory}` */
  base: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; res: Response }>;
}

/** A tenant with a SCIM directory and a token, and a client that talks SCIM to it through the app. */
export async function scimClient(h: Harness, tenantName = 'Acme'): Promise<ScimClient> {
  const tenant = await h.createTenant(tenantName);
  return scimClientFor(h, tenant.id, tenant.authz_store_id);
}

export async function scimClientFor(h: Harness, tenantId: string, storeId: string, directoryId?: string): Promise<ScimClient> {
  let dir = directoryId;
  if (!dir) {
    const created = await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories`, { body: { name: 'Okta' } });
    if (created.status !== 201) throw new Error(`directory: ${created.status} ${JSON.stringify(created.body)}`);
    dir = created.body.id as string;
  }
  const tok = await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories/${dir}/tokens`, { body: { name: 'test' } });
  if (tok.status !== 201) throw new Error(`token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const base = `/scim/v2/${dir}`;
  return {
    tenantId,
    storeId,
    directoryId: dir,
    token: tok.body.token,
    base,
    async call(method, path, body, headers = {}) {
      const res = await h.request(method, `${base}${path}`, {
        key: tok.body.token,
        ...(body === undefined ? {} : typeof body === 'string' ? { rawBody: body } : { body }),
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }), ...headers },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, res };
    },
  };
}
