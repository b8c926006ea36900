import type { SsoEnv } from './sso-env.ts';

export interface PushedUser {
  userName: string;
  externalId?: string;
  email?: string;
}

/**
 * A SCIM directory of a tenant on a running SsoEnv, and an IdP's SCIM client for it: users are
 * pushed over HTTP with the directory's own bearer token, as Okta or Entra would.
 */
export async function scimDirectory(env: SsoEnv, tenantId: string, name: string) {
  const dir = await env.ok('POST', `/admin/v1/tenants/${tenantId}/scim/directories`, { name });
  const token = await env.ok('POST', `/admin/v1/tenants/${tenantId}/scim/directories/${dir.id}/tokens`, { name: 'idp' });
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${env.direct}/scim/v2/${dir.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${token.token}`, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const userDoc = (u: PushedUser) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: u.userName,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    ...(u.email ? { emails: [{ value: u.email, type: 'work', primary: true }] } : {}),
    active: true,
  });
  return {
    id: dir.id as string,
    call,
    /** POST /Users; the raw answer. */
    post: (u: PushedUser) => call('POST', '/Users', userDoc(u)),
    /** POST /Users, expecting 201; the new user's id. */
    async push(u: PushedUser): Promise<string> {
      const r = await call('POST', '/Users', userDoc(u));
      if (r.status !== 201) throw new Error(`SCIM POST /Users → ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
  };
}
