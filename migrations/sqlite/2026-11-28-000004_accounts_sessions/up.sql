-- People who sign in to the web application, their sessions, and the failed sign-ins that
-- slow down guessing. An account has the role and scope a token has.

CREATE TABLE users (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    email              TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    role               TEXT NOT NULL,
    organization_id    BIGINT REFERENCES organizations (id),
    practice_id        BIGINT REFERENCES practices (id),
    -- An argon2id PHC string; none until the invitation is accepted.
    password_hash      TEXT,
    -- The SHA-256 of the one-time invitation secret and when it stops working.
    invite_sha256      TEXT,
    invite_expires_at  TIMESTAMP,
    disabled_at        TIMESTAMP,
    created_by_user    BIGINT REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL
);

-- Only the SHA-256 of a session's secret is kept, so several servers share sessions and a
-- stolen database gives no session away.
CREATE TABLE sessions (
    id_sha256     TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One row per failed sign-in, keyed by the account's email and by the client's address.
CREATE TABLE sign_in_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL,
    failed_at  TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key, failed_at);

-- The practice's own time zone: its "today" and the dates its pages show.
ALTER TABLE practices ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/Detroit';

-- Writes made in the browser name the person; tokens made by a person name their owner.
ALTER TABLE audit_events ADD COLUMN user_id BIGINT;
ALTER TABLE tokens ADD COLUMN user_id BIGINT;
