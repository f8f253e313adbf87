-- Safety (rules.md §6): checklist templates in versions; inspections with a result per item
-- and signatures; hazards run by the case engine's HAZARD flow with working-day deadlines,
-- escalation and supervision orders; recurring duties per estate (or per elevator) with
-- their records; elevators; e-bikes and their violations; emergency plans; trainings and
-- drills; photos; per-estate and per-region settings.
-- Keep in step with the other backend's 0008_safety.sql (a test compares the two).

CREATE TABLE safety_templates (
    id          INTEGER PRIMARY KEY,
    category    TEXT NOT NULL,                   -- fire_access | underground | fire_facilities | elevator | secondary_water | ebike
    region_code TEXT NOT NULL,                   -- whose template: '' = the built-in default, else a regulator's region
    version     BIGINT NOT NULL,                 -- 1, 2, … per (category, region_code)
    title       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (category, region_code, version)
);

CREATE TABLE safety_template_items (
    template_id BIGINT NOT NULL REFERENCES safety_templates(id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,                 -- 1-based
    item        TEXT NOT NULL,
    basis       TEXT NOT NULL DEFAULT '',        -- the legal basis
    PRIMARY KEY (template_id, seq)
);

CREATE TABLE safety_inspections (
    id                    INTEGER PRIMARY KEY,
    estate_id             BIGINT NOT NULL REFERENCES estates(id),
    region_code           TEXT NOT NULL,         -- the estate's
    template_id           BIGINT NOT NULL REFERENCES safety_templates(id),
    category              TEXT NOT NULL,
    kind                  TEXT NOT NULL,         -- self (物业自查) | street (街道检查) | spot (住建抽查)
    inspected_on          DATE NOT NULL,
    area                  TEXT NOT NULL DEFAULT '', -- the area inspected (楼栋、地下车库…)
    enterprise_id         BIGINT REFERENCES enterprises(id), -- the inspected party (serving the estate)
    inspector_id          BIGINT NOT NULL,       -- user id
    inspector             TEXT NOT NULL,         -- signature of the inspector (name as signed)
    responsible_signature TEXT NOT NULL DEFAULT '', -- signature of the estate's responsible person
    hazard_count          BIGINT NOT NULL DEFAULT 0,
    note                  TEXT NOT NULL DEFAULT '',
    created_at            TEXT NOT NULL
);
CREATE INDEX safety_inspections_estate ON safety_inspections(estate_id, inspected_on);
CREATE INDEX safety_inspections_region ON safety_inspections(region_code, inspected_on);

CREATE TABLE safety_inspection_results (
    inspection_id BIGINT NOT NULL REFERENCES safety_inspections(id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,               -- the template item's seq
    result        TEXT NOT NULL,                 -- pass | hazard | na
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (inspection_id, seq)
);

CREATE TABLE safety_hazards (
    id                   INTEGER PRIMARY KEY,
    estate_id            BIGINT NOT NULL REFERENCES estates(id),
    region_code          TEXT NOT NULL,          -- the estate's
    inspection_id        BIGINT REFERENCES safety_inspections(id),
    item_seq             BIGINT,                 -- the checklist item it was found under
    category             TEXT NOT NULL,
    severity             TEXT NOT NULL,          -- general | major
    description          TEXT NOT NULL,
    location             TEXT NOT NULL DEFAULT '',
    state                TEXT NOT NULL,          -- HAZARD flow: rectifying | reported | closed
    closed               BOOLEAN NOT NULL DEFAULT FALSE,
    spot_fixed           BOOLEAN NOT NULL DEFAULT FALSE,
    found_on             DATE NOT NULL,
    found_by_id          BIGINT NOT NULL,
    found_by             TEXT NOT NULL,
    finder_kind          TEXT NOT NULL,          -- self | street | spot
    enterprise_id        BIGINT REFERENCES enterprises(id), -- the responsible party
    responsible          TEXT NOT NULL,          -- its name (or the person responsible when no enterprise)
    working_days         BIGINT,                 -- as set when found
    rectify_by           DATE,                   -- the rectification deadline (last one set)
    deadline             DATE,                   -- of the current state; NULL when closed
    rectified_on         DATE,                   -- the accepted report's date
    closed_on            DATE,
    escalated_on         DATE,
    escalated_to         TEXT,                   -- region code of the supervising level
    supervision_no       TEXT,                   -- 督办单号
    supervised_on        DATE,
    supervision_deadline DATE,
    step_count           BIGINT NOT NULL DEFAULT 0,
    updated_at           TEXT NOT NULL
);
-- The overdue list of a region: open hazards past their deadline (see cases_open_deadline).
CREATE INDEX safety_hazards_open_deadline ON safety_hazards(closed, deadline, region_code);
CREATE INDEX safety_hazards_region ON safety_hazards(region_code, found_on);
CREATE INDEX safety_hazards_estate ON safety_hazards(estate_id, closed);
CREATE INDEX safety_hazards_enterprise ON safety_hazards(enterprise_id, closed);

CREATE TABLE safety_hazard_steps (
    id         INTEGER PRIMARY KEY,
    hazard_id  BIGINT NOT NULL REFERENCES safety_hazards(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    action     TEXT NOT NULL,                    -- the flow's step code, or escalate
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL,
    on_date    DATE NOT NULL,
    at         TEXT NOT NULL,
    actor_id   BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    deadline   DATE,
    note       TEXT NOT NULL DEFAULT '',
    UNIQUE (hazard_id, seq)
);

-- Photos and documents of inspections, hazard steps, duty records, trainings and drills.
CREATE TABLE safety_files (
    id           INTEGER PRIMARY KEY,
    owner_kind   TEXT NOT NULL,                  -- inspection | hazard_step | duty_record | training | plan
    owner_id     BIGINT NOT NULL,
    estate_id    BIGINT NOT NULL REFERENCES estates(id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX safety_files_owner ON safety_files(owner_kind, owner_id);

-- Per-estate safety facts.
CREATE TABLE safety_estates (
    estate_id   BIGINT PRIMARY KEY REFERENCES estates(id),
    key_unit    BOOLEAN NOT NULL DEFAULT FALSE,  -- 消防安全重点单位: drills every half year
    responsible TEXT NOT NULL DEFAULT '',        -- the estate's safety responsible person
    secondary_water BOOLEAN NOT NULL DEFAULT FALSE, -- has secondary-water tanks (tank cleaning duty)
    updated_at  TEXT NOT NULL
);

-- Per-region settings: the tank-cleaning interval (GB 17051 practice: yearly; stricter
-- local rules half-yearly or quarterly). The nearest region up the tree wins.
CREATE TABLE safety_region_settings (
    region_code TEXT PRIMARY KEY REFERENCES regions(code),
    tank_months BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE elevators (
    id                      INTEGER PRIMARY KEY,
    estate_id               BIGINT NOT NULL REFERENCES estates(id),
    building_id             BIGINT REFERENCES buildings(id),
    registration_no         TEXT NOT NULL UNIQUE, -- 使用登记证编号 (特种设备安全法 Art 33)
    location                TEXT NOT NULL DEFAULT '',
    maintainer              TEXT NOT NULL DEFAULT '', -- 维保单位
    certificate_expires     DATE NOT NULL,       -- 定期检验合格证有效期至
    inspection_requested_on DATE,                -- periodic inspection requested (Art 40)
    in_use                  BOOLEAN NOT NULL DEFAULT TRUE,
    created_at              TEXT NOT NULL
);
CREATE INDEX elevators_estate ON elevators(estate_id);
CREATE INDEX elevators_expiry ON elevators(in_use, certificate_expires);

-- A recurring duty of an estate, or of one elevator. next_due is kept by the store
-- (interval after last_done, or after since when never done).
CREATE TABLE safety_duties (
    id            INTEGER PRIMARY KEY,
    estate_id     BIGINT NOT NULL REFERENCES estates(id),
    region_code   TEXT NOT NULL,                 -- the estate's
    kind          TEXT NOT NULL,                 -- fire_check | fire_facility_inspection | elevator_maintenance | tank_cleaning | drill
    elevator_id   BIGINT REFERENCES elevators(id),
    subject       TEXT NOT NULL DEFAULT '',      -- what it is for (the elevator's number, the tank)
    interval_unit TEXT NOT NULL,                 -- days | months
    interval_n    BIGINT NOT NULL,
    since         DATE NOT NULL,
    last_done     DATE,
    next_due      DATE NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at    TEXT NOT NULL
);
-- The overdue list of a region: active duties past their due day.
CREATE INDEX safety_duties_open_due ON safety_duties(active, next_due, region_code);
CREATE INDEX safety_duties_estate ON safety_duties(estate_id, kind);
CREATE INDEX safety_duties_elevator ON safety_duties(elevator_id);

CREATE TABLE safety_duty_records (
    id         INTEGER PRIMARY KEY,
    duty_id    BIGINT NOT NULL REFERENCES safety_duties(id) ON DELETE CASCADE,
    done_on    DATE NOT NULL,
    done_by    TEXT NOT NULL,                    -- who did it (maintainer, inspector)
    note       TEXT NOT NULL DEFAULT '',
    actor_id   BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX safety_duty_records_duty ON safety_duty_records(duty_id, done_on);

CREATE TABLE ebikes (
    id         INTEGER PRIMARY KEY,
    estate_id  BIGINT NOT NULL REFERENCES estates(id),
    house_id   BIGINT REFERENCES houses(id),
    plate      TEXT NOT NULL DEFAULT '',         -- '' = no plate
    user_name  TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX ebikes_estate ON ebikes(estate_id);

CREATE TABLE ebike_violations (
    id         INTEGER PRIMARY KEY,
    estate_id  BIGINT NOT NULL REFERENCES estates(id),
    ebike_id   BIGINT REFERENCES ebikes(id),
    kind       TEXT NOT NULL,                    -- hall | corridor | stairwell | exit | flying_cord | unit_door | elevator | other
    place      TEXT NOT NULL DEFAULT '',
    found_on   DATE NOT NULL,
    reminders  BIGINT NOT NULL DEFAULT 0,        -- reminders given so far
    moved_on   DATE,                             -- moved to the designated area (after ≥ 3 reminders)
    told_owner TEXT NOT NULL DEFAULT '',         -- how the owner was told
    resolved   BOOLEAN NOT NULL DEFAULT FALSE,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ebike_violations_estate ON ebike_violations(estate_id, resolved);

CREATE TABLE ebike_reminders (
    violation_id BIGINT NOT NULL REFERENCES ebike_violations(id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    on_date      DATE NOT NULL,
    channel      TEXT NOT NULL,                  -- on_site | phone | sms | wechat | visit | notice_board
    actor        TEXT NOT NULL,
    PRIMARY KEY (violation_id, seq)
);

CREATE TABLE emergency_plans (
    id          INTEGER PRIMARY KEY,
    estate_id   BIGINT NOT NULL REFERENCES estates(id),
    kind        TEXT NOT NULL,                   -- fire | flood | elevator_entrapment | water_outage | public_health
    version     BIGINT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    approved_on DATE NOT NULL,
    review_due  DATE NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (estate_id, kind, version)
);

CREATE TABLE safety_trainings (
    id             INTEGER PRIMARY KEY,
    estate_id      BIGINT NOT NULL REFERENCES estates(id),
    kind           TEXT NOT NULL,                -- drill | training
    plan_kind      TEXT NOT NULL DEFAULT '',     -- the emergency plan's kind it exercised
    held_on        DATE NOT NULL,
    title          TEXT NOT NULL,
    attendees      TEXT NOT NULL DEFAULT '',     -- names, one per line
    attendee_count BIGINT NOT NULL DEFAULT 0,
    note           TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX safety_trainings_estate ON safety_trainings(estate_id, held_on);
