/** A stored group. Members live in `directory_memberships`. */
export interface GroupRecord {
  id: string;
  tenant_id: string;
  directory_id: string;
  display_name: string;
  external_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface GroupFields {
  display_name: string;
  external_id: string | null;
}

export interface GroupMember {
  user_id: string;
  display: string | null;
}

/** An admin's mapping of an IdP group to a relation on the tenant's organization. */
export interface GroupRoleMapping {
  id: string;
  tenant_id: string;
  group_id: string;
  relation: string;
  created_at: string;
  created_by: string | null;
}
