-- Kontor schema, version 4: what the login limiter needs, kept across restarts and shared by
-- every node; device credentials; organisation keys sealed.

-- Failed attempts per limit key (address, account and address, account, device credential),
-- in fixed windows. The key is a hash: no address or e-mail address in plain text.
CREATE TABLE login_failures (
    key_hash     TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     BIGINT NOT NULL
);

-- Addresses a person logged in from successfully: failures of others from elsewhere do not
-- limit them there. `address_hash` is a hash of the address.
CREATE TABLE login_known_addresses (
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    address_hash TEXT NOT NULL,
    until        BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, address_hash)
);

-- A device's credential for later logins (the hash of its secret): a device that logged in
-- before is never locked out by someone else's wrong guesses.
CREATE TABLE device_credentials (
    device_id    TEXT PRIMARY KEY REFERENCES devices(id),
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX device_credentials_user ON device_credentials (user_id);

-- 1: `secret_key` is sealed with the key in the data directory (`org-keys.key`); 0: plain,
-- from before version 4 (sealed at the next start).
ALTER TABLE org_keys ADD COLUMN sealed BIGINT NOT NULL DEFAULT 0;

-- What a person's display name looks like (`search::skeleton`), so that colleagues whose
-- names could be taken for each other are told apart. Filled in at start for older rows.
ALTER TABLE users ADD COLUMN name_skeleton TEXT NOT NULL DEFAULT '';
CREATE INDEX users_name_skeleton ON users (org_id, name_skeleton);
