-- Back to one chain. Only possible while every event is in chain 0 (the key stops on a
-- duplicate `seq` otherwise): events of PO chains cannot be renumbered without new hashes.
DELETE FROM audit_chain_head WHERE chain <> 0 AND NOT EXISTS (
    SELECT 1 FROM audit_events WHERE audit_events.chain = audit_chain_head.chain
);
UPDATE audit_chain_head SET chain = 1;
ALTER TABLE audit_chain_head ALTER COLUMN chain TYPE INTEGER;
ALTER TABLE audit_chain_head RENAME COLUMN chain TO id;
ALTER TABLE audit_chain_head ADD CONSTRAINT audit_chain_head_id_check CHECK (id = 1);

DROP INDEX audit_events_written;
DROP INDEX audit_events_practice;
DROP INDEX audit_events_organization;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (seq);
ALTER TABLE audit_events DROP COLUMN chain;
CREATE INDEX audit_events_practice ON audit_events (practice_id, seq);
CREATE INDEX audit_events_organization ON audit_events (organization_id, seq);
