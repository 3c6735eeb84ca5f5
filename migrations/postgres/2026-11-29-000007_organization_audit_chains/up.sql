-- Each PO's events form a hash chain of their own, so writes of different POs never wait on one
-- another's lock. An event's chain is its PO's id, or 0 (the server-wide chain) for events that
-- concern no PO. The events written before this migration keep their bytes and hashes: they
-- stay one chain, numbered as they were, and become the start of chain 0.

ALTER TABLE audit_events ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_events ALTER COLUMN chain DROP DEFAULT;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (chain, seq);
-- Lists run in the order the events were written (occurred_at, then chain and seq).
DROP INDEX audit_events_practice;
DROP INDEX audit_events_organization;
CREATE INDEX audit_events_written ON audit_events (occurred_at, chain, seq);
CREATE INDEX audit_events_practice ON audit_events (practice_id, occurred_at, chain, seq);
CREATE INDEX audit_events_organization ON audit_events (organization_id, occurred_at, chain, seq);

-- One head per chain: the last event's number and hash. A writer locks only its chain's head.
ALTER TABLE audit_chain_head DROP CONSTRAINT audit_chain_head_id_check;
ALTER TABLE audit_chain_head RENAME COLUMN id TO chain;
ALTER TABLE audit_chain_head ALTER COLUMN chain TYPE BIGINT;
UPDATE audit_chain_head SET chain = 0;
