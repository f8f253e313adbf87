-- Tendering of property services (rules.md §5.6; PMR Art 24; 建住房〔2003〕130号): the expert
-- pool, tenders with their state, invitations, bids (with the bidder's credit at bid time),
-- the evaluation panel and its reproducible draw, criteria and weights, scores per member,
-- ranking, award (creating the service contract) and filing.
-- Keep in step with the other backend's 0010_tender.sql (a test compares the two).

CREATE TABLE tender_experts (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    specialty     TEXT NOT NULL DEFAULT '',
    region_code   TEXT NOT NULL,                 -- the housing authority's pool it belongs to (12 digits)
    enterprise_id BIGINT REFERENCES enterprises(id), -- employer, when an enterprise (a conflict when it bids)
    employer      TEXT NOT NULL DEFAULT '',      -- employer's name as given
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL
);
CREATE INDEX tender_experts_region ON tender_experts(region_code);

CREATE TABLE tenders (
    id                 INTEGER PRIMARY KEY,
    estate_id          BIGINT NOT NULL REFERENCES estates(id),
    region_code        TEXT NOT NULL,            -- the estate's
    kind               TEXT NOT NULL,            -- preliminary | regular
    method             TEXT NOT NULL,            -- public | invited | negotiated
    title              TEXT NOT NULL,
    tenderer           TEXT NOT NULL,            -- the developer (preliminary) or the owners' assembly (regular)
    notice             TEXT NOT NULL DEFAULT '',
    approval           TEXT NOT NULL DEFAULT '', -- negotiated: the county authority's approval
    vote_id            BIGINT REFERENCES votes(id), -- regular: the assembly's decision, if recorded
    credit_mapping     TEXT NOT NULL DEFAULT '', -- JSON CreditMapping; '' = the default
    published_on       DATE,
    bid_deadline       DATE NOT NULL,
    bid_validity_until DATE NOT NULL,
    closed_on          DATE,
    awarded_on         DATE,
    awarded_bid_id     BIGINT,
    awarded_enterprise_id BIGINT REFERENCES enterprises(id),
    award_late         BOOLEAN NOT NULL DEFAULT FALSE,
    filed_on           DATE,
    filing_ref         TEXT NOT NULL DEFAULT '',
    contract_id        BIGINT REFERENCES service_contracts(id),
    state              TEXT NOT NULL,            -- TenderState code
    state_note         TEXT NOT NULL DEFAULT '',
    created_by         BIGINT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX tenders_region ON tenders(region_code, state);
CREATE INDEX tenders_estate ON tenders(estate_id);

CREATE TABLE tender_invitations (
    tender_id     BIGINT NOT NULL REFERENCES tenders(id) ON DELETE CASCADE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    invited_on    DATE NOT NULL,
    PRIMARY KEY (tender_id, enterprise_id)
);

CREATE TABLE tender_bids (
    id                  INTEGER PRIMARY KEY,
    tender_id           BIGINT NOT NULL REFERENCES tenders(id) ON DELETE CASCADE,
    enterprise_id       BIGINT NOT NULL REFERENCES enterprises(id),
    submitted_on        DATE NOT NULL,
    submitted_at        TEXT NOT NULL,            -- RFC 3339, for the tie-break
    price_fen_per_m2_month BIGINT NOT NULL,
    plan                TEXT NOT NULL DEFAULT '',
    credit_grade        TEXT NOT NULL DEFAULT '', -- at bid time
    credit_score_tenths BIGINT,                   -- at bid time
    entered_by          BIGINT NOT NULL,
    total_tenths        BIGINT,                   -- after evaluation
    rank_no             BIGINT,                   -- after evaluation, 1 = first
    UNIQUE (tender_id, enterprise_id)
);

CREATE TABLE tender_panels (
    tender_id    BIGINT PRIMARY KEY REFERENCES tenders(id) ON DELETE CASCADE,
    size         BIGINT NOT NULL,
    experts      BIGINT NOT NULL,
    seed         TEXT NOT NULL,                  -- u64 in decimal (the ChaCha20 seed)
    pool_ids     TEXT NOT NULL,                  -- the eligible pool's ids at the draw, comma list, ascending
    drawn_at     TEXT NOT NULL,
    drawn_by     BIGINT NOT NULL
);

CREATE TABLE tender_panel_members (
    id        INTEGER PRIMARY KEY,
    tender_id BIGINT NOT NULL REFERENCES tenders(id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,                   -- 1-based: drawn experts in drawn order, then representatives
    expert_id BIGINT REFERENCES tender_experts(id),
    name      TEXT NOT NULL,
    outside   BOOLEAN NOT NULL,                  -- an outside expert drawn from the pool
    UNIQUE (tender_id, seq)
);

CREATE TABLE tender_criteria (
    id         INTEGER PRIMARY KEY,
    tender_id  BIGINT NOT NULL REFERENCES tenders(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    name       TEXT NOT NULL,
    weight_pct BIGINT NOT NULL,
    credit     BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (tender_id, seq)
);

CREATE TABLE tender_scores (
    member_id     BIGINT NOT NULL REFERENCES tender_panel_members(id) ON DELETE CASCADE,
    bid_id        BIGINT NOT NULL REFERENCES tender_bids(id) ON DELETE CASCADE,
    criterion_id  BIGINT NOT NULL REFERENCES tender_criteria(id) ON DELETE CASCADE,
    points_tenths BIGINT NOT NULL,
    PRIMARY KEY (member_id, bid_id, criterion_id)
);
