-- Leases: one holder at a time per key, across every process on this
-- file (store.LeaseStore). key_hash is the SHA-256 of the key, which may
-- hold a session cookie; expires_at is Unix nanoseconds from the caller's
-- clock (every process on one file shares the machine's clock).
CREATE TABLE leases (
    key_hash   BLOB PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX leases_expires ON leases (expires_at);
