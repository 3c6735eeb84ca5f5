-- Bearer tokens (only a hash of the secret is kept) and the append-only, hash-chained audit trail.

CREATE TABLE tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    label           TEXT NOT NULL,
    secret_sha256   TEXT NOT NULL,
    role            TEXT NOT NULL,
    organization_id BIGINT REFERENCES organizations (id),
    practice_id     BIGINT REFERENCES practices (id),
    expires_at      TIMESTAMP,
    revoked_at      TIMESTAMP,
    created_by      BIGINT REFERENCES tokens (id),
    created_at      TIMESTAMP NOT NULL
);

-- One row per write, numbered without gaps. `content` is the canonical JSON of the event and
-- `hash` = SHA-256(prev_hash || content): editing, deleting or reordering a row breaks the chain.
CREATE TABLE audit_events (
    seq             BIGINT PRIMARY KEY,
    occurred_at     TIMESTAMP NOT NULL,
    token_id        BIGINT,
    action          TEXT NOT NULL,
    record_kind     TEXT NOT NULL,
    record_id       BIGINT,
    organization_id BIGINT,
    practice_id     BIGINT,
    content         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX audit_events_record ON audit_events (record_kind, record_id);
CREATE INDEX audit_events_practice ON audit_events (practice_id, seq);
CREATE INDEX audit_events_organization ON audit_events (organization_id, seq);

-- The end of the chain. Writers lock this one row, so events get consecutive numbers even
-- when several servers write to one database.
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
