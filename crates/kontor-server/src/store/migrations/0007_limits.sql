-- Kontor schema, version 7: limits against abuse that must hold across restarts and nodes.

-- The bytes an organisation's conversations hold on the server (messages and Welcomes), kept
-- in the writing transaction so that its storage quota is checked where it is spent.
ALTER TABLE orgs ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
-- The storage quota policy in bytes (10 GiB until an admin sets it), beside the policies'
-- JSON so that the check is part of the same UPDATE.
ALTER TABLE orgs ADD COLUMN storage_quota_bytes BIGINT NOT NULL DEFAULT 10737418240;
UPDATE orgs SET stored_bytes = COALESCE((
    SELECT SUM(LENGTH(m.body)) FROM conversation_messages m
    JOIN conversations c ON c.id = m.conversation_id WHERE c.org_id = orgs.id), 0);

-- One row per one-time key package handed out: who claimed whose, and when. A device's
-- one-time stock is handed out only so fast, and one claimer gets only so many of one
-- device's; past that the last-resort package is given instead, so nobody can empty a
-- colleague's stock.
CREATE TABLE key_package_claims (
    target_device  TEXT NOT NULL,
    claimer_device TEXT NOT NULL,
    one_time       BIGINT NOT NULL,
    claimed_at     BIGINT NOT NULL
);
CREATE INDEX key_package_claims_target ON key_package_claims (target_device, claimed_at);
CREATE INDEX key_package_claims_claimer ON key_package_claims (claimer_device, claimed_at);
