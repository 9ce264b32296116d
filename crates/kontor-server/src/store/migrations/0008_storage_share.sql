-- Kontor schema, version 8: what each person's messages hold on the server, so that no one
-- person can fill the organisation's storage quota alone (a person holds at most half).
ALTER TABLE users ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE users SET stored_bytes = COALESCE((
    SELECT SUM(LENGTH(m.body)) FROM conversation_messages m WHERE m.sender_user = users.id), 0);
