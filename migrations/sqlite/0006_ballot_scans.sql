-- The scan of a paper ballot (or of a proxy's written authorisation), one per ballot of
-- the history, written in the same transaction as the ballot. PNG, JPEG or PDF, at most
-- 5 MB; the content type is the one recognised from the file's first bytes.
CREATE TABLE ballot_scans (
    ballot_id    INTEGER PRIMARY KEY REFERENCES ballots(id) ON DELETE CASCADE,
    vote_id      BIGINT NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,                  -- image/png | image/jpeg | application/pdf
    size         BIGINT NOT NULL,                -- bytes
    sha256       TEXT NOT NULL,                  -- lowercase hex of the bytes
    data         BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX ballot_scans_vote ON ballot_scans(vote_id);
