/** What a tenant API key may be allowed to do. Platform keys may do everything. */
export const SCOPES = ['admin', 'authz:read', 'authz:write', 'authz:model', 'audit:read'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
