-- claimgate store schema for PostgreSQL, version 1: the same tables as
-- sqlitestore's migrations 1-4, with PostgreSQL types (BYTEA, BOOLEAN).
-- Times are Unix nanoseconds (BIGINT); 0 means "never". Durations are
-- nanoseconds too.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE factors (
    id           TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('totp', 'hotp', 'sms')),
    name         TEXT NOT NULL,
    secret       BYTEA,           -- AES-256-GCM sealed
    algorithm    TEXT NOT NULL DEFAULT '',
    digits       INTEGER NOT NULL DEFAULT 0,
    period_ns    BIGINT NOT NULL DEFAULT 0,
    counter      BIGINT NOT NULL DEFAULT 0 CHECK (counter >= 0),
    last_step    BIGINT NOT NULL DEFAULT 0,
    phone        BYTEA,           -- AES-256-GCM sealed
    serial_no    TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    confirmed    BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (user_name, name)
);
CREATE INDEX factors_user ON factors (user_name, created_at, id);
CREATE UNIQUE INDEX factors_serial ON factors (serial_no) WHERE serial_no <> '';

CREATE TABLE used_codes (
    user_name   TEXT NOT NULL,
    factor_id   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (user_name, factor_id, fingerprint)
);
CREATE INDEX used_codes_expires ON used_codes (expires_at);

-- The last accepted time step of a TOTP secret that has no factors row
-- (UseStep). Kept for good: tiny, and without it an earlier step could be
-- used again.
CREATE TABLE totp_last_steps (
    user_name TEXT NOT NULL,
    factor_id TEXT NOT NULL,
    step      BIGINT NOT NULL,
    PRIMARY KEY (user_name, factor_id)
);

CREATE TABLE app_passwords (
    id           TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    revoked      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX app_passwords_user ON app_passwords (user_name);
CREATE UNIQUE INDEX app_passwords_live_name ON app_passwords (user_name, name) WHERE NOT revoked;

-- One outstanding enrolment code per user: the key is the user, so
-- issuing a code is one upsert that replaces the old one.
CREATE TABLE enrolment_codes (
    user_name  TEXT PRIMARY KEY,
    code_hash  BYTEA NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL
);

-- The SMS code pending for each user and factor (only its hash), so every
-- instance sees the same code and the same send limits. expires_at runs
-- from the first send; a resend replaces the hash and bumps sends.
CREATE TABLE sms_codes (
    user_name    TEXT NOT NULL,
    factor_id    TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    sends        INTEGER NOT NULL,
    last_sent_at BIGINT NOT NULL,
    PRIMARY KEY (user_name, factor_id)
);
CREATE INDEX sms_codes_expires ON sms_codes (expires_at);

CREATE TABLE failures (
    lock_key     TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start BIGINT NOT NULL
);
CREATE INDEX failures_window ON failures (window_start);

CREATE TABLE locks (
    lock_key TEXT PRIMARY KEY,
    until_at BIGINT NOT NULL,
    level    INTEGER NOT NULL
);
CREATE INDEX locks_until ON locks (until_at);

-- version: every write after the first names the version it read, so a
-- session deleted or rotated is never written back.
CREATE TABLE sessions (
    id_hash    BYTEA PRIMARY KEY,
    data       BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    event         TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    user_name     TEXT NOT NULL DEFAULT '',
    client_addr   TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    relying_party TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    factor        TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user_at ON audit_log (user_name, at);
