-- Each PO's events form a hash chain of their own, so writes of different POs never wait on one
-- another's lock. An event's chain is its PO's id, or 0 (the server-wide chain) for events that
-- concern no PO. The events written before this migration keep their bytes and hashes: they
-- stay one chain, numbered as they were, and become the start of chain 0.

-- SQLite cannot change a primary key in place: the table is copied into one keyed by (chain, seq).
CREATE TABLE audit_events_by_chain (
    seq             BIGINT NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    token_id        BIGINT,
    action          TEXT NOT NULL,
    record_kind     TEXT NOT NULL,
    record_id       BIGINT,
    organization_id BIGINT,
    practice_id     BIGINT,
    content         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    user_id         BIGINT,
    chain           BIGINT NOT NULL,
    PRIMARY KEY (chain, seq)
);
INSERT INTO audit_events_by_chain (seq, occurred_at, token_id, action, record_kind, record_id,
    organization_id, practice_id, content, prev_hash, hash, user_id, chain)
SELECT seq, occurred_at, token_id, action, record_kind, record_id,
    organization_id, practice_id, content, prev_hash, hash, user_id, 0
FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_by_chain RENAME TO audit_events;
CREATE INDEX audit_events_record ON audit_events (record_kind, record_id);
-- Lists run in the order the events were written (occurred_at, then chain and seq).
CREATE INDEX audit_events_written ON audit_events (occurred_at, chain, seq);
CREATE INDEX audit_events_practice ON audit_events (practice_id, occurred_at, chain, seq);
CREATE INDEX audit_events_organization ON audit_events (organization_id, occurred_at, chain, seq);

-- One head per chain: the last event's number and hash. A writer locks only its chain's head.
CREATE TABLE audit_chain_heads (
    chain BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_chain_heads (chain, seq, hash) SELECT 0, seq, hash FROM audit_chain_head;
DROP TABLE audit_chain_head;
ALTER TABLE audit_chain_heads RENAME TO audit_chain_head;
