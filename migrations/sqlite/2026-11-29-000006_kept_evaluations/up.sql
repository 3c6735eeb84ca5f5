-- Kept evaluations: each practice's (and each PO's) compliance evaluated for a day, kept between
-- requests so that the PO-wide views read one row per practice instead of every record.
--
-- records_revision counts the writes that changed what a practice's (or a PO's) evaluation
-- reads; every such write increments it in its own transaction. A kept evaluation is current
-- while the revision it was computed at equals the practice's (or PO's) revision and it was
-- computed by the same catalogs and rules (fingerprint).
ALTER TABLE practices ADD COLUMN records_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN records_revision BIGINT NOT NULL DEFAULT 0;

CREATE TABLE kept_practice_evaluations (
    practice_id BIGINT NOT NULL REFERENCES practices (id),
    day DATE NOT NULL,
    records_revision BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    -- Four letters per criterion, in catalog order: status, agreement, re-attestation, due soon.
    cells TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (practice_id, day)
);

-- What falls due within a year of the day, per criterion (JSON), written with the practice's kept
-- evaluation of that day. Apart from it, so that the matrix and the trend read small rows.
CREATE TABLE kept_practice_due_lists (
    practice_id BIGINT NOT NULL REFERENCES practices (id),
    day DATE NOT NULL,
    due TEXT NOT NULL,
    PRIMARY KEY (practice_id, day)
);

CREATE TABLE kept_organization_evaluations (
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    day DATE NOT NULL,
    records_revision BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    -- The PO-level criteria with their attestations, what falls due within a year (JSON).
    evaluation TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, day)
);
