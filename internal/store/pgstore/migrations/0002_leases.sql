-- Leases: one holder at a time per key, across every instance on this
-- database (store.LeaseStore). key_hash is the SHA-256 of the key, which
-- may hold a session cookie. expires_at comes from the server's clock
-- (clock_timestamp()), not the instances', so instances whose clocks
-- differ agree on when a lease has expired; hence TIMESTAMPTZ here where
-- every other table keeps the callers' Unix nanoseconds.
CREATE TABLE leases (
    key_hash   BYTEA PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX leases_expires ON leases (expires_at);
