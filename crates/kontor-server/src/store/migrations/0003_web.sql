-- Kontor schema, version 3: branding and the first start from the web app.

-- Colours of the apps (#rrggbb); NULL means Kontor's own.
ALTER TABLE orgs ADD COLUMN accent_color TEXT;
ALTER TABLE orgs ADD COLUMN secondary_color TEXT;

-- The organisation's logo, checked by its bytes (PNG, JPEG or WebP; never SVG).
CREATE TABLE org_logos (
    org_id        TEXT PRIMARY KEY REFERENCES orgs(id),
    content_type  TEXT NOT NULL,
    bytes         {BLOB} NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Set once, when the first organisation was made from the web app's first-start screen. The
-- fixed primary key makes two setups racing on PostgreSQL refuse each other.
CREATE TABLE server_setup (
    id       BIGINT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    done_at  BIGINT NOT NULL
);
