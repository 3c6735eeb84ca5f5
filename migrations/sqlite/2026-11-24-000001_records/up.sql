-- The records practices and POs keep. Each row keeps the date it documents apart from the
-- moment it was recorded, and the catalog version it was made under where that applies.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    recorded_at TIMESTAMP NOT NULL
);

CREATE TABLE practices (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id          BIGINT NOT NULL REFERENCES organizations (id),
    name                     TEXT NOT NULL,
    initial_focus_population TEXT,
    catalog_id               TEXT NOT NULL,
    catalog_version          TEXT NOT NULL,
    recorded_at              TIMESTAMP NOT NULL,
    UNIQUE (organization_id, name)
);

CREATE TABLE staff (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    practice_id BIGINT NOT NULL REFERENCES practices (id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    started_on  DATE NOT NULL,
    ended_on    DATE,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_practice ON staff (practice_id);

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    practice_id     BIGINT REFERENCES practices (id),
    title           TEXT NOT NULL,
    document_type   TEXT NOT NULL,
    criteria        TEXT NOT NULL,
    effective_on    DATE NOT NULL,
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    catalog_id      TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX documents_practice ON documents (practice_id, effective_on);
CREATE INDEX documents_organization ON documents (organization_id, effective_on);

CREATE TABLE training_records (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    practice_id     BIGINT NOT NULL REFERENCES practices (id),
    staff_id        BIGINT NOT NULL REFERENCES staff (id),
    topic           TEXT NOT NULL,
    completed_on    DATE NOT NULL,
    hours           DOUBLE NOT NULL,
    trainer         TEXT,
    document_id     BIGINT REFERENCES documents (id),
    catalog_id      TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX training_records_practice ON training_records (practice_id, completed_on);

CREATE TABLE team_meetings (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    practice_id         BIGINT NOT NULL REFERENCES practices (id),
    held_on             DATE NOT NULL,
    kind                TEXT NOT NULL,
    patients_reviewed   INTEGER NOT NULL,
    documented_in_chart BOOLEAN NOT NULL,
    catalog_id          TEXT NOT NULL,
    catalog_version     TEXT NOT NULL,
    recorded_at         TIMESTAMP NOT NULL
);
CREATE INDEX team_meetings_practice ON team_meetings (practice_id, held_on);

CREATE TABLE meeting_attendees (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id BIGINT NOT NULL REFERENCES team_meetings (id),
    role       TEXT NOT NULL,
    staff_id   BIGINT REFERENCES staff (id)
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees (meeting_id);

CREATE TABLE meeting_follow_ups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id   BIGINT NOT NULL REFERENCES team_meetings (id),
    description  TEXT NOT NULL,
    owner_id     BIGINT REFERENCES staff (id),
    due_on       DATE NOT NULL,
    completed_on DATE
);
CREATE INDEX meeting_follow_ups_meeting ON meeting_follow_ups (meeting_id);

CREATE TABLE care_plans (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    practice_id          BIGINT NOT NULL REFERENCES practices (id),
    kind                 TEXT NOT NULL,
    patient_ref          TEXT NOT NULL,
    initiating_provider  BIGINT NOT NULL REFERENCES staff (id),
    discussed_on         DATE NOT NULL,
    established_on       DATE,
    documented_in_record BOOLEAN NOT NULL,
    recorded_at          TIMESTAMP NOT NULL
);
CREATE INDEX care_plans_practice ON care_plans (practice_id, discussed_on);

CREATE TABLE care_partners (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    care_plan_id BIGINT NOT NULL REFERENCES care_plans (id),
    name         TEXT NOT NULL
);
CREATE INDEX care_partners_plan ON care_partners (care_plan_id);

CREATE TABLE care_plan_shares (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    care_plan_id BIGINT NOT NULL REFERENCES care_plans (id),
    partner_id   BIGINT NOT NULL REFERENCES care_partners (id),
    shared_on    DATE NOT NULL,
    method       TEXT NOT NULL,
    recorded_at  TIMESTAMP NOT NULL
);
CREATE INDEX care_plan_shares_plan ON care_plan_shares (care_plan_id);

CREATE TABLE attestations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    practice_id     BIGINT REFERENCES practices (id),
    criterion       TEXT NOT NULL,
    catalog_id      TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    status          TEXT NOT NULL,
    effective_on    DATE NOT NULL,
    signer          TEXT NOT NULL,
    signer_role     TEXT NOT NULL,
    statement       TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    -- A correction supersedes exactly one earlier attestation, and each is corrected at most once.
    supersedes_id   BIGINT UNIQUE REFERENCES attestations (id),
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX attestations_practice ON attestations (practice_id, criterion);
CREATE INDEX attestations_organization ON attestations (organization_id, criterion);

CREATE TABLE survey_results (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    practice_id     BIGINT NOT NULL REFERENCES practices (id),
    kind            TEXT NOT NULL,
    conducted_on    DATE NOT NULL,
    respondents     INTEGER NOT NULL,
    score           DOUBLE NOT NULL,
    catalog_id      TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX survey_results_practice ON survey_results (practice_id, conducted_on);

CREATE TABLE periodic_reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    practice_id     BIGINT REFERENCES practices (id),
    report_type     TEXT NOT NULL,
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    document_id     BIGINT REFERENCES documents (id),
    catalog_id      TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX periodic_reports_organization ON periodic_reports (organization_id, period_start);
