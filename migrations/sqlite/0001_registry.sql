-- Wuye registry: regions, estates, buildings, units, houses, owners, enterprises, contracts.
-- Areas are hundredths of m² (BIGINT), money is fen (BIGINT), dates are 'YYYY-MM-DD'.
-- Keep in step with ../postgres/0001_registry.sql (a test compares the two).

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,            -- 12-digit 统计用区划代码
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,               -- province | city | county | street | community
    parent_code TEXT REFERENCES regions(code),
    prefix      TEXT NOT NULL                -- digits shared by the subtree
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE enterprises (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL,
    uscc                 TEXT NOT NULL UNIQUE,
    legal_representative TEXT NOT NULL DEFAULT '',
    region_code          TEXT REFERENCES regions(code),
    contact_person       TEXT NOT NULL DEFAULT '',
    contact_phone        TEXT,
    address              TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX enterprises_region ON enterprises(region_code);

CREATE TABLE estates (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    region_code   TEXT NOT NULL REFERENCES regions(code),
    address       TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL,
    year_built    INTEGER,
    land_area     BIGINT,
    building_area BIGINT NOT NULL,
    has_elevator  BOOLEAN NOT NULL,
    management    TEXT NOT NULL,
    house_count   BIGINT NOT NULL DEFAULT 0,  -- registered houses, kept by the store
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (region_code, name)
);

CREATE TABLE buildings (
    id           INTEGER PRIMARY KEY,
    estate_id    BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    no           TEXT NOT NULL,
    floors       INTEGER,
    has_elevator BOOLEAN,
    UNIQUE (estate_id, no)
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    building_id BIGINT NOT NULL REFERENCES buildings(id) ON DELETE CASCADE,
    no          TEXT NOT NULL,               -- '' for houses not in a unit
    UNIQUE (building_id, no)
);

CREATE TABLE houses (
    id             INTEGER PRIMARY KEY,
    estate_id      BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    building_id    BIGINT NOT NULL REFERENCES buildings(id) ON DELETE CASCADE,
    unit_id        BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    room_no        TEXT NOT NULL,
    floor          INTEGER,
    building_area  BIGINT NOT NULL,
    exclusive_area BIGINT NOT NULL,
    house_use      TEXT NOT NULL,
    status         TEXT NOT NULL,
    UNIQUE (unit_id, room_no)
);
CREATE INDEX houses_estate ON houses(estate_id);

CREATE TABLE owners (
    id             INTEGER PRIMARY KEY,
    owner_key      TEXT NOT NULL UNIQUE,     -- idh:<ID number hash> | uscc:<code> | name:<house id>:<name>
    kind           TEXT NOT NULL,            -- person | organisation
    name           TEXT NOT NULL,
    id_number_enc  TEXT,                     -- personal data: encrypted, keyed hash, mask (see store::pii)
    id_number_hash TEXT,
    id_number_mask TEXT,
    uscc           TEXT,
    phone_enc      TEXT,
    phone_hash     TEXT,
    phone_mask     TEXT
);
CREATE INDEX owners_name ON owners(name);
CREATE INDEX owners_id_hash ON owners(id_number_hash);
CREATE INDEX owners_phone_hash ON owners(phone_hash);

CREATE TABLE ownerships (
    house_id BIGINT NOT NULL REFERENCES houses(id) ON DELETE CASCADE,
    owner_id BIGINT NOT NULL REFERENCES owners(id),
    PRIMARY KEY (house_id, owner_id)
);
CREATE INDEX ownerships_owner ON ownerships(owner_id);

CREATE TABLE occupants (
    id       INTEGER PRIMARY KEY,
    house_id BIGINT NOT NULL REFERENCES houses(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,                  -- family | tenant | temporary
    name       TEXT NOT NULL,
    phone_enc  TEXT,
    phone_mask TEXT,
    UNIQUE (house_id, name)
);

CREATE TABLE service_contracts (
    id                   INTEGER PRIMARY KEY,
    estate_id            BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    enterprise_id        BIGINT NOT NULL REFERENCES enterprises(id),
    kind                 TEXT NOT NULL,       -- preliminary | regular
    start_date           DATE NOT NULL,
    end_date             DATE,                -- inclusive; NULL = open-ended
    fee_fen_per_m2_month BIGINT NOT NULL,
    fee_model            TEXT NOT NULL,       -- lump_sum | commission
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (estate_id, enterprise_id, start_date)
);
CREATE INDEX service_contracts_enterprise ON service_contracts(enterprise_id);

CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    layout      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    estate_id   BIGINT,
    created_at  TEXT NOT NULL,
    rows_total  BIGINT NOT NULL,
    inserted    BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    report      TEXT NOT NULL                 -- JSON: errors and notes
);
