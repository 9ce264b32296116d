-- Kontor schema, version 1. Written once in portable SQL; `{BLOB}` is replaced by the
-- backend's binary type (SQLite BLOB, PostgreSQL BYTEA). Times are milliseconds since the
-- Unix epoch (BIGINT); flags are BIGINT 0/1; lists are JSON text.

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    policies    TEXT NOT NULL,
    event_seq   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs(id),
    email           TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    status          TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    job_title       TEXT NOT NULL DEFAULT '',
    competences     TEXT NOT NULL DEFAULT '[]',
    languages       TEXT NOT NULL DEFAULT '[]',
    location        TEXT NOT NULL DEFAULT '',
    phone_extension TEXT NOT NULL DEFAULT '',
    search_text     TEXT NOT NULL DEFAULT '',
    search_facets   TEXT NOT NULL DEFAULT '',
    sort_key        TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (org_id, email)
);
CREATE INDEX users_org_status ON users (org_id, status);
-- Directory searches scan this index, not the table: it holds all they read.
CREATE INDEX users_directory ON users (org_id, status, id, sort_key, search_text, search_facets, role);

CREATE TABLE avatars (
    user_id      TEXT PRIMARY KEY REFERENCES users(id),
    org_id       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        {BLOB} NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    platform     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    device_id    TEXT NOT NULL REFERENCES devices(id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE invitations (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    display_name  TEXT,
    team_ids      TEXT NOT NULL DEFAULT '[]',
    profile       TEXT NOT NULL DEFAULT '{}',
    code_hash     TEXT NOT NULL UNIQUE,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    accepted_at   BIGINT,
    accepted_user TEXT,
    revoked_at    BIGINT
);
CREATE INDEX invitations_org ON invitations (org_id, created_at);
CREATE INDEX invitations_email ON invitations (org_id, email);

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   TEXT REFERENCES teams(id),
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    team_id  TEXT NOT NULL REFERENCES teams(id),
    user_id  TEXT NOT NULL REFERENCES users(id),
    org_id   TEXT NOT NULL,
    role     TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE events (
    org_id        TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    audience_user TEXT,
    members_only  BIGINT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT,
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT,
    details     TEXT NOT NULL,
    address     TEXT
);
CREATE INDEX audit_org_at ON audit_log (org_id, id);
