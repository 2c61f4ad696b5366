-- claimgate store schema, version 1.
-- Times are Unix nanoseconds; 0 means "never".
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE factors (
    id           TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('totp', 'hotp', 'sms')),
    name         TEXT NOT NULL,
    secret       BLOB,            -- AES-256-GCM sealed
    algorithm    TEXT NOT NULL DEFAULT '',
    digits       INTEGER NOT NULL DEFAULT 0,
    period_ns    BIGINT NOT NULL DEFAULT 0,
    counter      BIGINT NOT NULL DEFAULT 0 CHECK (counter >= 0),
    last_step    BIGINT NOT NULL DEFAULT 0,
    phone        BLOB,            -- AES-256-GCM sealed
    serial_no    TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_name, name)
);
CREATE UNIQUE INDEX factors_serial ON factors (serial_no) WHERE serial_no <> '';

CREATE TABLE used_codes (
    user_name   TEXT NOT NULL,
    factor_id   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (user_name, factor_id, fingerprint)
);
CREATE INDEX used_codes_expires ON used_codes (expires_at);

CREATE TABLE app_passwords (
    id           TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX app_passwords_user ON app_passwords (user_name);
CREATE UNIQUE INDEX app_passwords_live_name ON app_passwords (user_name, name) WHERE revoked = 0;

CREATE TABLE enrolment_codes (
    code_hash  BLOB PRIMARY KEY,
    user_name  TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX enrolment_codes_user ON enrolment_codes (user_name);

CREATE TABLE failures (
    lock_key     TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start BIGINT NOT NULL
);

CREATE TABLE locks (
    lock_key TEXT PRIMARY KEY,
    until_at BIGINT NOT NULL,
    level    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY,
    data       BLOB NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
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
