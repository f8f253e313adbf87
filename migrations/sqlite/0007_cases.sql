-- Cases: organisations (the joint conference's departments, street offices, mediation
-- committees) and their members; joint-conference meetings; one table of cases for the
-- three kinds (matter | referral | dispute) with parties, steps (the time line),
-- attachments, notices and mediation agreements; regional calendar days.
-- Keep in step with the other backend's 0007_cases.sql (a test compares the two).

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                   -- housing | street | urban_management | … | mediation
    name        TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    phone       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (region_code, name)
);
CREATE INDEX organisations_region ON organisations(region_code, kind);

CREATE TABLE organisation_members (
    organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user ON organisation_members(user_id);

CREATE TABLE meetings (
    id              INTEGER PRIMARY KEY,
    convener_org_id BIGINT NOT NULL REFERENCES organisations(id),
    region_code     TEXT NOT NULL,
    title           TEXT NOT NULL,
    held_on         DATE NOT NULL,
    place           TEXT NOT NULL DEFAULT '',
    chair           TEXT NOT NULL DEFAULT '',
    agenda          TEXT NOT NULL DEFAULT '',
    minutes         TEXT NOT NULL DEFAULT '',
    decisions       TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX meetings_region ON meetings(region_code, held_on);

CREATE TABLE meeting_attendees (
    meeting_id      BIGINT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    attendee        TEXT NOT NULL DEFAULT '',    -- who came for the department
    PRIMARY KEY (meeting_id, organisation_id)
);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,               -- matter | referral | dispute
    state           TEXT NOT NULL,               -- the kind's flow state
    closed          BOOLEAN NOT NULL DEFAULT FALSE,
    title           TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    region_code     TEXT NOT NULL,               -- the estate's, or the convener's
    estate_id       BIGINT REFERENCES estates(id),
    house_id        BIGINT REFERENCES houses(id),
    meeting_id      BIGINT REFERENCES meetings(id),
    supervisor_org_id BIGINT NOT NULL REFERENCES organisations(id), -- convener / referrer
    holder_org_id   BIGINT NOT NULL REFERENCES organisations(id),   -- who must act now
    deadline        DATE,                        -- of the current state; NULL when none or closed
    opened_on       DATE NOT NULL,
    closed_on       DATE,
    escalated_on    DATE,                        -- when the current deadline was missed and escalated
    escalated_to    TEXT,                        -- region code of the supervising level
    opened_by_id    BIGINT NOT NULL,             -- user id (0 = system)
    opened_by       TEXT NOT NULL,
    outcome         TEXT NOT NULL DEFAULT '',    -- result / handling outcome / agreement summary
    step_count      BIGINT NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
);
CREATE INDEX cases_holder ON cases(holder_org_id, closed, deadline);
CREATE INDEX cases_supervisor ON cases(supervisor_org_id);
CREATE INDEX cases_region ON cases(region_code, closed, deadline);
-- The overdue list of a region: open cases past their deadline, oldest first (a range on
-- the deadline, the region filtered from the index; counted without reading rows).
CREATE INDEX cases_open_deadline ON cases(closed, deadline, region_code);
CREATE INDEX cases_estate ON cases(estate_id);
CREATE INDEX cases_opener ON cases(opened_by_id);
CREATE INDEX cases_meeting ON cases(meeting_id);

CREATE TABLE case_helpers (
    case_id         BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (case_id, organisation_id)
);
CREATE INDEX case_helpers_org ON case_helpers(organisation_id);

CREATE TABLE case_parties (
    case_id       BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    side          TEXT NOT NULL,                 -- applicant | respondent
    party_kind    TEXT NOT NULL,                 -- owner | committee | enterprise | street | other
    name          TEXT NOT NULL,
    owner_id      BIGINT REFERENCES owners(id),
    enterprise_id BIGINT REFERENCES enterprises(id),
    consent       BOOLEAN,                       -- consents to mediation (人民调解法 Art 17)
    satisfaction  BIGINT,                        -- 1–5, after closing
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX case_parties_owner ON case_parties(owner_id);

CREATE TABLE case_steps (
    id         INTEGER PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    action     TEXT NOT NULL,                    -- the flow's step code, or escalate / notice
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL,
    on_date    DATE NOT NULL,                    -- Asia/Shanghai date of the step
    at         TEXT NOT NULL,                    -- RFC 3339 UTC
    actor_id   BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    org_id     BIGINT,                           -- organisation the actor acted for
    holder_org_id BIGINT,                        -- holder after the step
    deadline   DATE,                             -- deadline after the step
    note       TEXT NOT NULL DEFAULT '',
    UNIQUE (case_id, seq)
);
CREATE INDEX case_steps_holder ON case_steps(holder_org_id);

CREATE TABLE case_attachments (
    id           INTEGER PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step_id      BIGINT REFERENCES case_steps(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments(case_id);

CREATE TABLE case_notices (
    id              INTEGER PRIMARY KEY,
    case_id         BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step_id         BIGINT,
    organisation_id BIGINT,                      -- whoever must act next (members see it)
    user_id         BIGINT,                      -- or one user (the opener, an owner)
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    read_at         TEXT
);
CREATE INDEX case_notices_org ON case_notices(organisation_id, read_at);
CREATE INDEX case_notices_user ON case_notices(user_id, read_at);

CREATE TABLE mediation_agreements (
    case_id              BIGINT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    oral                 BOOLEAN NOT NULL,       -- Art 28: oral agreements are recorded by the mediator
    facts                TEXT NOT NULL,
    terms                TEXT NOT NULL,
    performance          TEXT NOT NULL,          -- manner, place of performance
    performance_deadline DATE NOT NULL,
    signed_by_parties    BOOLEAN NOT NULL,
    signed_by_mediator   BOOLEAN NOT NULL,
    effective_on         DATE NOT NULL,
    judicial_due         DATE NOT NULL,          -- effective_on + 30 days (人民调解法 Art 33)
    judicial_applied_on  DATE,
    performed_on         DATE
);

CREATE TABLE calendar_days (
    day         DATE NOT NULL,
    region_code TEXT NOT NULL,                   -- '' = everywhere; else a region whose subtree it covers
    kind        TEXT NOT NULL,                   -- holiday | workday
    name        TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (region_code, day)
);
