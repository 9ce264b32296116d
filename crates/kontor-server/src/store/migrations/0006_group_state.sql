-- Kontor schema, version 6: the delivery service follows each MLS group's public state (the
-- ratchet tree without secrets, the group context, queued proposals of the delivery service)
-- so that it can refuse a commit or proposal no honest member could process before it takes
-- an epoch. Nothing in it is secret: handshake messages are signed, not encrypted.
CREATE TABLE group_states (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    epoch           BIGINT NOT NULL,
    state           {BLOB} NOT NULL
);

-- A device that could not process a commit asks to be added again; members renew it (remove
-- its leaf and add it with a fresh key package in one commit). Until then it reads nothing.
ALTER TABLE conversation_devices ADD COLUMN rejoin_requested_at BIGINT;
