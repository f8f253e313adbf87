-- Owners' assembly: covenant, committee, votes, matters, frozen electorate, ballots,
-- counted ballots and their choices, published tally and results.
-- Areas are hundredths of m² (BIGINT). Keep in step with ../postgres/0004_assembly.sql.

CREATE TABLE assembly_covenants (
    estate_id          BIGINT PRIMARY KEY REFERENCES estates(id) ON DELETE CASCADE,
    rule_set_code      TEXT NOT NULL,            -- civil_code_2021 | pmr_2018_art12
    silent_vote        BOOLEAN NOT NULL,         -- the covenant records the silent-vote clause
    silent_clause      TEXT NOT NULL DEFAULT '', -- e.g. 管理规约第二十条, and its text
    procedure_text     TEXT NOT NULL DEFAULT '', -- rules of procedure: the clauses on voting
    filing_status      TEXT NOT NULL,            -- unfiled | filed
    filed_on           DATE,
    updated_at         TEXT NOT NULL
);

CREATE TABLE committees (
    id            INTEGER PRIMARY KEY,
    estate_id     BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    term_start    DATE NOT NULL,
    term_end      DATE NOT NULL,
    filing_status TEXT NOT NULL,                 -- unfiled | filed
    filed_on      DATE,
    created_at    TEXT NOT NULL
);
CREATE INDEX committees_estate ON committees(estate_id);

CREATE TABLE committee_members (
    committee_id BIGINT NOT NULL REFERENCES committees(id) ON DELETE CASCADE,
    seat         BIGINT NOT NULL,
    name         TEXT NOT NULL,
    position     TEXT NOT NULL,                  -- director | deputy | member
    owner_id     BIGINT REFERENCES owners(id),
    PRIMARY KEY (committee_id, seat)
);

CREATE TABLE votes (
    id            INTEGER PRIMARY KEY,
    estate_id     BIGINT NOT NULL REFERENCES estates(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    rule_set_code TEXT NOT NULL,
    state         TEXT NOT NULL,                 -- draft | announced | open | closed | published
    announced_on  DATE,
    opens_on      DATE NOT NULL,
    closes_on     DATE NOT NULL,
    salt          TEXT NOT NULL,                 -- per-vote secret of the receipt codes
    fund_use_id   BIGINT,                        -- electorate limited to the houses of this fund use
    silent_clause TEXT NOT NULL DEFAULT '',      -- frozen at opening from the covenant ('' = none)
    total_area    BIGINT NOT NULL DEFAULT 0,     -- frozen electorate totals
    total_heads   BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE INDEX votes_estate ON votes(estate_id);

CREATE TABLE vote_matters (
    vote_id BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    no      BIGINT NOT NULL,
    kind    TEXT NOT NULL,                       -- MatterKind code
    text    TEXT NOT NULL,
    PRIMARY KEY (vote_id, no)
);

CREATE TABLE vote_electorate (
    vote_id   BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    voter_key TEXT NOT NULL,                     -- owner:17 | developer
    area      BIGINT NOT NULL,
    house_ids TEXT NOT NULL,                     -- ,3,8,
    owner_ids TEXT NOT NULL,                     -- ,17,23, ('' for the developer)
    PRIMARY KEY (vote_id, voter_key)
);

CREATE TABLE ballots (
    id            INTEGER PRIMARY KEY,           -- append-only history of every ballot cast
    vote_id       BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    voter_key     TEXT NOT NULL,
    method        TEXT NOT NULL,                 -- online | proxy | paper
    authorisation TEXT NOT NULL DEFAULT '',      -- proxy's written authorisation
    attachment_id BIGINT,                        -- scan of a paper ballot
    entered_by    TEXT NOT NULL,
    cast_at       TEXT NOT NULL,
    choices       TEXT NOT NULL                  -- canonical text, 1=agree;2=abstain
);
CREATE INDEX ballots_vote_voter ON ballots(vote_id, voter_key);

CREATE TABLE counted_ballots (
    vote_id   BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    voter_key TEXT NOT NULL,
    ballot_id BIGINT NOT NULL,
    choices   TEXT NOT NULL,
    PRIMARY KEY (vote_id, voter_key)
);

CREATE TABLE counted_choices (
    vote_id   BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    voter_key TEXT NOT NULL,
    matter_no BIGINT NOT NULL,
    choice    TEXT NOT NULL,                     -- agree | disagree | abstain
    area      BIGINT NOT NULL,                   -- the voter's frozen area (vote_electorate.area)
    PRIMARY KEY (vote_id, voter_key, matter_no)
);
-- The tally reads this index alone, already grouped (no join, no sort).
CREATE INDEX counted_choices_tally ON counted_choices(vote_id, matter_no, choice, area);

-- Which voter an owner belongs to, for online ballots (one row per owner of the roll).
CREATE TABLE vote_voter_owners (
    vote_id   BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    owner_id  BIGINT NOT NULL,
    voter_key TEXT NOT NULL,
    PRIMARY KEY (vote_id, owner_id)
);

CREATE TABLE vote_published (
    vote_id   BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    receipt   TEXT NOT NULL,
    area      BIGINT NOT NULL,
    choices   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (vote_id, seq)
);
CREATE INDEX vote_published_receipt ON vote_published(vote_id, receipt);

CREATE TABLE vote_results (
    vote_id             BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    matter_no           BIGINT NOT NULL,
    kind                TEXT NOT NULL,
    passed              BOOLEAN NOT NULL,
    total_area          BIGINT NOT NULL,
    total_heads         BIGINT NOT NULL,
    participating_area  BIGINT NOT NULL,
    participating_heads BIGINT NOT NULL,
    agree_area          BIGINT NOT NULL,
    agree_heads         BIGINT NOT NULL,
    disagree_area       BIGINT NOT NULL,
    disagree_heads      BIGINT NOT NULL,
    result_json         TEXT NOT NULL,
    PRIMARY KEY (vote_id, matter_no)
);
