-- Accounts, roles and scopes, sessions, API tokens, and the hash-chained audit trail.
-- Keep in step with ../postgres/0002_accounts.sql (a test compares the two).

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,    -- login name
    display_name         TEXT NOT NULL DEFAULT '',
    password_hash        TEXT NOT NULL,           -- argon2id PHC string
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins        BIGINT NOT NULL DEFAULT 0,
    locked_until         TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

CREATE TABLE user_roles (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,                     -- admin | regulator | street | department | …
    scope      TEXT NOT NULL,                     -- all | region:<code> | enterprise:<id> | estate:<id> | owner:<id> | own
    label      TEXT NOT NULL DEFAULT '',          -- e.g. the department's name
    created_at TEXT NOT NULL,
    UNIQUE (user_id, role, scope)
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,                -- SHA-256 of the cookie value
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id      BIGINT NOT NULL REFERENCES user_roles(id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id      BIGINT NOT NULL REFERENCES user_roles(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,            -- SHA-256 of the token
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY,               -- assigned in order under the audit_head lock
    at          TEXT NOT NULL,                    -- RFC 3339 UTC, hashed as stored
    actor_id    BIGINT NOT NULL,                  -- 0 = system
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);

CREATE TABLE audit_head (
    id        BIGINT PRIMARY KEY,                 -- always 1
    last_id   BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
