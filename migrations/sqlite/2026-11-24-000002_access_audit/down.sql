DROP TABLE audit_chain_head;
DROP TABLE audit_events;
DROP TABLE tokens;
