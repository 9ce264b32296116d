-- Kontor schema, version 13: the organisation's name under the installed app's icon, as its
-- admins choose it (at most 12 characters); NULL for the name cut to 12.
ALTER TABLE orgs ADD COLUMN app_name TEXT;
