// Generated from kontor-proto's OrgRole by scripts/gen-types.sh. Do not edit.

import type { OrgRole } from "./OrgRole";

/** Every role in an organisation, highest first. */
export const ORG_ROLES: readonly OrgRole[] = ["owner", "admin", "member", "guest"];

/** The roles that administer the organisation. */
export const ADMIN_ROLES: readonly OrgRole[] = ["owner", "admin"];

/** For each role, the roles of the people it may manage and may hand out. */
export const MANAGES: Readonly<Record<OrgRole, readonly OrgRole[]>> = {
  owner: ["owner", "admin", "member", "guest"],
  admin: ["admin", "member", "guest"],
  member: [],
  guest: [],
};
