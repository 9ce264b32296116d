-- Kontor schema, version 2: identities, key packages, device links and the MLS delivery
-- service. The server stores MLS messages, key packages and Welcomes as opaque bytes; it
-- cannot read them. Conversation names are not stored: members send them encrypted.

-- The organisation's Ed25519 keys, one per purpose (clients pin the public keys):
-- `membership` certifies who belongs to the organisation; `external_sender` signs the MLS
-- proposals the delivery service makes as the groups' external sender (removing leavers).
CREATE TABLE org_keys (
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    purpose     TEXT NOT NULL,
    public_key  {BLOB} NOT NULL,
    secret_key  {BLOB} NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, purpose)
);

-- A person's identity: their public identity key, the newest device list it signed, and the
-- identity secret sealed under the recovery key (opaque to the server).
CREATE TABLE identities (
    user_id         TEXT PRIMARY KEY REFERENCES users(id),
    org_id          TEXT NOT NULL,
    identity_key    {BLOB} NOT NULL,
    list_version    BIGINT NOT NULL,
    device_list     TEXT NOT NULL,
    recovery_backup {BLOB},
    updated_at      BIGINT NOT NULL
);

CREATE TABLE key_packages (
    id           BIGINT NOT NULL,
    device_id    TEXT NOT NULL REFERENCES devices(id),
    org_id       TEXT NOT NULL,
    last_resort  BIGINT NOT NULL,
    key_package  {BLOB} NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (device_id, id)
);

CREATE TABLE link_requests (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id),
    device_id     TEXT NOT NULL REFERENCES devices(id),
    keys          TEXT NOT NULL,
    ephemeral_key {BLOB} NOT NULL,
    sealed        {BLOB},
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX link_requests_user ON link_requests (user_id);

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    kind        TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX conversations_org ON conversations (org_id);

CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    role            TEXT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id);

-- Devices in a conversation's MLS group as the server routes. `removing` = 1: the server asked
-- members to commit the device's removal and delivers nothing to or from it meanwhile.
CREATE TABLE conversation_devices (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    device_id       TEXT NOT NULL REFERENCES devices(id),
    user_id         TEXT NOT NULL,
    removing        BIGINT NOT NULL DEFAULT 0,
    joined_seq      BIGINT NOT NULL,
    -- The device's MLS leaf index as the committer placed it (for the server's proposals).
    leaf_index      BIGINT,
    -- The epoch for which the server last proposed this device's removal.
    proposed_epoch  BIGINT,
    PRIMARY KEY (conversation_id, device_id)
);
CREATE INDEX conversation_devices_device ON conversation_devices (device_id);

-- The ordered log: commits, proposals and application messages, each once per
-- (conversation, sender device, client message id).
CREATE TABLE conversation_messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    epoch           BIGINT NOT NULL,
    sender_user     TEXT NOT NULL,
    sender_device   TEXT NOT NULL,
    client_msg_id   TEXT NOT NULL,
    body            {BLOB} NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, sender_device, client_msg_id)
);

CREATE TABLE welcomes (
    device_id       TEXT NOT NULL REFERENCES devices(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             BIGINT NOT NULL,
    welcome         {BLOB} NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (device_id, conversation_id)
);
