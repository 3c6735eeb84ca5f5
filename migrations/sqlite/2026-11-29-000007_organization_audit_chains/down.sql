-- Back to one chain. Only possible while every event is in chain 0 (the copy stops on a
-- duplicate `seq` otherwise): events of PO chains cannot be renumbered without new hashes.
CREATE TABLE audit_events_single (
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
    hash            TEXT NOT NULL,
    user_id         BIGINT
);
INSERT INTO audit_events_single (seq, occurred_at, token_id, action, record_kind, record_id,
    organization_id, practice_id, content, prev_hash, hash, user_id)
SELECT seq, occurred_at, token_id, action, record_kind, record_id,
    organization_id, practice_id, content, prev_hash, hash, user_id
FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_single RENAME TO audit_events;
CREATE INDEX audit_events_record ON audit_events (record_kind, record_id);
CREATE INDEX audit_events_practice ON audit_events (practice_id, seq);
CREATE INDEX audit_events_organization ON audit_events (organization_id, seq);

CREATE TABLE audit_chain_single (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_single (id, seq, hash) SELECT 1, seq, hash FROM audit_chain_head WHERE chain = 0;
DROP TABLE audit_chain_head;
ALTER TABLE audit_chain_single RENAME TO audit_chain_head;
