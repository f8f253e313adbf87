-- Special maintenance fund: rates, estate fund accounts, household accounts, entries,
-- fund-use applications and their houses. Money is fen (BIGINT), areas hundredths of m².
-- Keep in step with ../postgres/0005_fund.sql.

CREATE TABLE fund_rates (
    id             INTEGER PRIMARY KEY,
    region_prefix  TEXT NOT NULL,                -- digits of a region code (6401 = 银川市)
    elevator       BOOLEAN NOT NULL,
    fen_per_m2     BIGINT NOT NULL,
    effective_from DATE NOT NULL,
    UNIQUE (region_prefix, elevator, effective_from)
);

CREATE TABLE fund_accounts (
    estate_id BIGINT PRIMARY KEY REFERENCES estates(id) ON DELETE CASCADE,
    balance   BIGINT NOT NULL,
    opened_on DATE NOT NULL
);

CREATE TABLE fund_households (
    house_id        BIGINT PRIMARY KEY REFERENCES houses(id) ON DELETE CASCADE,
    estate_id       BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    initial_deposit BIGINT NOT NULL,
    balance         BIGINT NOT NULL,
    owner_snapshot  TEXT NOT NULL,               -- current owner's name(s)
    closed_on       DATE                         -- refunded on demolition
);
CREATE INDEX fund_households_estate ON fund_households(estate_id);

CREATE TABLE fund_entries (
    id         INTEGER PRIMARY KEY,
    estate_id  BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    house_id   BIGINT,
    kind       TEXT NOT NULL,                    -- deposit | interest | use | transfer_in | transfer_out | refund
    amount     BIGINT NOT NULL,                  -- signed fen
    entry_date DATE NOT NULL,
    payer      TEXT NOT NULL DEFAULT '',
    memo       TEXT NOT NULL DEFAULT '',
    ref_type   TEXT NOT NULL DEFAULT '',
    ref_id     BIGINT
);
CREATE INDEX fund_entries_estate ON fund_entries(estate_id, entry_date);
CREATE INDEX fund_entries_house ON fund_entries(house_id, entry_date);

CREATE TABLE fund_uses (
    id             INTEGER PRIMARY KEY,
    estate_id      BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    project        TEXT NOT NULL,
    budget         BIGINT NOT NULL,
    path           TEXT NOT NULL,                -- ordinary | emergency
    emergency_kind TEXT,
    state          TEXT NOT NULL,                -- FundUseState code
    vote_id        BIGINT REFERENCES votes(id),
    contractor     TEXT NOT NULL DEFAULT '',
    paid_amount    BIGINT NOT NULL DEFAULT 0,
    paid_on        DATE,
    confirmed_by   TEXT NOT NULL DEFAULT '',
    disclosed_on   DATE,
    applied_on     DATE NOT NULL,
    applied_by     TEXT NOT NULL
);
CREATE INDEX fund_uses_estate ON fund_uses(estate_id);

CREATE TABLE fund_use_houses (
    fund_use_id BIGINT NOT NULL REFERENCES fund_uses(id) ON DELETE CASCADE,
    house_id    BIGINT NOT NULL REFERENCES houses(id),
    area        BIGINT NOT NULL,                 -- exclusive area at application
    share       BIGINT,                          -- fen charged (set when charged)
    PRIMARY KEY (fund_use_id, house_id)
);
