import type { SsoEnv } from './sso-env.ts';
import type { TestSamlIdp } from './saml-idp.ts';

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

/**
 * The "several IdPs in one tenant" set-up: a bank tenant (bank.test verified), Okta's SCIM
 * directory of employees with the Okta connection bound to it, and a partner's unbound SAML
 * connection for contractors. `beforeBinding` runs once the directory exists and before the
 * connections are made (users pushed first, as when a binding comes late).
 */
export async function bankWithPartner(
  env: SsoEnv,
  idps: { okta: TestSamlIdp; partner: TestSamlIdp },
  o: { jit?: boolean; okta?: Record<string, unknown>; partner?: Record<string, unknown>; beforeBinding?: (employees: ScimDirectory) => Promise<void> } = {},
) {
  const tenant = await env.tenant('Bank', 'bank');
  await env.verifiedDomain(tenant.id, 'bank.test');
  if (o.jit) await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
  const employees = await scimDirectory(env, tenant.id, 'Okta employees');
  await o.beforeBinding?.(employees);
  const okta: { id: string } = await env.samlConnection(tenant.id, idps.okta, { name: 'Okta (employees)', directory_id: employees.id, ...o.okta });
  const partner: { id: string } = await env.samlConnection(tenant.id, idps.partner, { name: 'Partner contractors', attribute_preset: 'generic', ...o.partner });
  return { tenant: tenant as { id: string; authz_store_id: string }, employees, okta, partner };
}

export type ScimDirectory = Awaited<ReturnType<typeof scimDirectory>>;
