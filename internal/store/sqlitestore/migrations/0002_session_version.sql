-- A session row carries a version so the sign-in flow can write back only
-- the version it read: a session deleted by sign-out, or rotated by the next
-- factor, is never brought back by a request that loaded it earlier.
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
