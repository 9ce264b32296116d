-- One word for one thing: a person is a person in the database too (issue 10). Renames keep
-- the rows, keys and references; the indexes are made anew under their new names.
ALTER TABLE users RENAME TO people;
ALTER TABLE avatars RENAME COLUMN user_id TO person_id;
ALTER TABLE devices RENAME COLUMN user_id TO person_id;
ALTER TABLE sessions RENAME COLUMN user_id TO person_id;
ALTER TABLE invitations RENAME COLUMN accepted_user TO accepted_person;
ALTER TABLE team_members RENAME COLUMN user_id TO person_id;
ALTER TABLE events RENAME COLUMN audience_user TO audience_person;
ALTER TABLE identities RENAME COLUMN user_id TO person_id;
ALTER TABLE link_requests RENAME COLUMN user_id TO person_id;
ALTER TABLE conversation_members RENAME COLUMN user_id TO person_id;
ALTER TABLE conversation_devices RENAME COLUMN user_id TO person_id;
ALTER TABLE conversation_messages RENAME COLUMN sender_user TO sender_person;
ALTER TABLE login_known_addresses RENAME COLUMN user_id TO person_id;
ALTER TABLE device_credentials RENAME COLUMN user_id TO person_id;
ALTER TABLE group_checkpoints RENAME COLUMN user_id TO person_id;

DROP INDEX users_org_status;
CREATE INDEX people_org_status ON people (org_id, status);
DROP INDEX users_name_skeleton;
CREATE INDEX people_name_skeleton ON people (org_id, name_skeleton);
DROP INDEX devices_user;
CREATE INDEX devices_person ON devices (person_id);
DROP INDEX sessions_user;
CREATE INDEX sessions_person ON sessions (person_id);
DROP INDEX team_members_user;
CREATE INDEX team_members_person ON team_members (person_id);
DROP INDEX link_requests_user;
CREATE INDEX link_requests_person ON link_requests (person_id);
DROP INDEX conversation_members_user;
CREATE INDEX conversation_members_person ON conversation_members (person_id);
DROP INDEX device_credentials_user;
CREATE INDEX device_credentials_person ON device_credentials (person_id);
