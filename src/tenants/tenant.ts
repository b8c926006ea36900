import { resourceEtag } from '../lib/etag.ts';

export type TenantStatus = 'active' | 'suspended' | 'deleted';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  authz_store_id: string;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** The public shape: the version travels as the ETag, not in the body. */
export function tenantView(t: Tenant) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    status: t.status,
    authz_store_id: t.authz_store_id,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

export type TenantView = ReturnType<typeof tenantView>;

export const etagOf = (t: Tenant) => resourceEtag(t.id, t.version);

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase, hyphenated slug derived from a display name. */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return s || 'tenant';
}
