-- Kontor schema, version 9: a commit nobody else could process can be undone.
--
-- The delivery service cannot check what a commit encrypts to members, so a writer can post
-- one that passes every public check and that no other device can process. While nobody but
-- its committer has written since, the group's state before each such commit is kept here;
-- a conversation admin's device that could not process it voids it, and the group goes on
-- from there. A message of anybody else ends the run: somebody could process it.
CREATE TABLE group_checkpoints (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    -- The commit this is the state before.
    seq             BIGINT NOT NULL,
    epoch           BIGINT NOT NULL,
    -- The person who committed it (every checkpoint of a conversation is of one person).
    user_id         TEXT NOT NULL,
    state           {BLOB} NOT NULL,
    -- The conversation's devices and members before it (JSON).
    routing         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

ALTER TABLE conversation_messages ADD COLUMN voided BIGINT NOT NULL DEFAULT 0;
