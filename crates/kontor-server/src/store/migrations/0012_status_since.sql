-- When a person's status last changed (suspended, reactivated, access ended): the admin
-- center says since when someone has no access. Empty for people whose status never changed.
ALTER TABLE people ADD COLUMN status_since BIGINT;

-- The policy "the organisation's owners and admins are admins of every conversation they
-- are in", mirrored from orgs.policies for the queries that read conversation roles (on by
-- default, as the policy is).
ALTER TABLE orgs ADD COLUMN org_admins_manage INTEGER NOT NULL DEFAULT 1;
