-- A random name for this database, so results remembered per data generation
-- (wuye_store::cache) can never be mistaken for another database's at the same audit head.
CREATE TABLE db_instance (
    id   BIGINT PRIMARY KEY,                      -- always 1
    name TEXT NOT NULL
);
INSERT INTO db_instance (id, name) VALUES (1, md5(random()::text || clock_timestamp()::text));
