-- Credit of property service enterprises (rules.md §4): settings per region, registration
-- of enterprises, project managers, good and bad records with evidence files and
-- objections, owner ratings, and the computed scores with their history.
-- Schema pinned in the issue-5 brief; keep in step with the other backend's 0009_credit.sql.

CREATE TABLE credit_settings (
    region_code    TEXT PRIMARY KEY,              -- '' = the province-wide setting
    scheme_code    TEXT NOT NULL,                 -- built-in scheme code (yantai_2022 | shangqiu_2022 | shandong)
    objection_days BIGINT NOT NULL DEFAULT 10,    -- working days to object [U]
    bar_grades     TEXT NOT NULL DEFAULT 'black,C', -- grades barred from tendering, comma list
    updated_by     TEXT NOT NULL DEFAULT '',
    updated_at     TEXT NOT NULL
);

CREATE TABLE credit_registrations (
    enterprise_id BIGINT PRIMARY KEY REFERENCES enterprises(id),
    region_code   TEXT NOT NULL,                  -- the registering authority's region
    registered_on DATE NOT NULL,
    status        TEXT NOT NULL,                  -- registered | exited
    exited_on     DATE,
    exit_reason   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX credit_registrations_region ON credit_registrations(region_code, status);

CREATE TABLE credit_managers (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    estate_id     BIGINT REFERENCES estates(id),
    name          TEXT NOT NULL,
    certificate   TEXT NOT NULL DEFAULT '',
    start_date    DATE NOT NULL,
    end_date      DATE
);
CREATE INDEX credit_managers_enterprise ON credit_managers(enterprise_id);

CREATE TABLE credit_records (
    id              INTEGER PRIMARY KEY,
    enterprise_id   BIGINT NOT NULL REFERENCES enterprises(id),
    kind            TEXT NOT NULL,                -- good | bad
    item_code       TEXT NOT NULL,
    scheme_code     TEXT NOT NULL,
    points_tenths   BIGINT NOT NULL,              -- magnitude > 0; the sign comes from kind
    serious         BIGINT NOT NULL DEFAULT 0,    -- 0/1
    source          TEXT NOT NULL,                -- regulator | street | court | arbitration | association | owner_rating | complaint | party | other
    source_org      TEXT NOT NULL DEFAULT '',
    estate_id       BIGINT REFERENCES estates(id),
    region_code     TEXT NOT NULL,                -- the estate's region, else the entering authority's
    title           TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    occurred_on     DATE NOT NULL,
    entered_on      DATE NOT NULL,
    entered_by      BIGINT NOT NULL,
    entered_by_name TEXT NOT NULL DEFAULT '',
    objection_until DATE NOT NULL,                -- last day to object
    state           TEXT NOT NULL,                -- pending | objected | effective | revoked
    effective_on    DATE,                         -- first day it counts
    valid_until     DATE,                         -- last day it counts; NULL = serious, until rectified
    rectified_on    DATE,
    created_at      TEXT NOT NULL
);
CREATE INDEX credit_records_enterprise ON credit_records(enterprise_id, state);
CREATE INDEX credit_records_region ON credit_records(region_code, occurred_on);
CREATE INDEX credit_records_state ON credit_records(state, objection_until);

CREATE TABLE credit_files (
    id          INTEGER PRIMARY KEY,
    record_id   BIGINT REFERENCES credit_records(id),
    objection_id BIGINT,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    bytes       BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX credit_files_record ON credit_files(record_id);
CREATE INDEX credit_files_objection ON credit_files(objection_id);

CREATE TABLE credit_objections (
    id            INTEGER PRIMARY KEY,
    record_id     BIGINT NOT NULL REFERENCES credit_records(id),
    filed_by      BIGINT NOT NULL,
    filed_on      DATE NOT NULL,
    reason        TEXT NOT NULL,
    state         TEXT NOT NULL,                  -- pending | accepted | rejected
    decided_by    BIGINT,
    decided_on    DATE,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX credit_objections_record ON credit_objections(record_id);

CREATE TABLE credit_scores (
    enterprise_id    BIGINT PRIMARY KEY REFERENCES enterprises(id),
    scheme_code      TEXT NOT NULL,
    score_tenths     BIGINT,
    bonus_tenths     BIGINT NOT NULL DEFAULT 0,
    deduction_tenths BIGINT NOT NULL DEFAULT 0,
    grade            TEXT NOT NULL,               -- AAAA | AAA | AA | A | B | C | black | missing | '' (unrated)
    black_listed     BIGINT NOT NULL DEFAULT 0,
    barred           BIGINT NOT NULL DEFAULT 0,
    region_code      TEXT NOT NULL DEFAULT '',    -- the enterprise's region
    computed_on      DATE NOT NULL,
    computed_at      TEXT NOT NULL
);
CREATE INDEX credit_scores_region ON credit_scores(region_code, grade);

CREATE TABLE credit_score_history (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    on_date       DATE NOT NULL,
    score_tenths  BIGINT,
    grade         TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, on_date)
);

CREATE TABLE owner_ratings (
    id            INTEGER PRIMARY KEY,
    estate_id     BIGINT NOT NULL REFERENCES estates(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    year          BIGINT NOT NULL,
    score_tenths  BIGINT NOT NULL,                -- 0..=1000
    respondents   BIGINT NOT NULL DEFAULT 0,
    record_id     BIGINT REFERENCES credit_records(id),
    entered_by    BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (estate_id, year)
);
CREATE INDEX owner_ratings_enterprise ON owner_ratings(enterprise_id, year);
