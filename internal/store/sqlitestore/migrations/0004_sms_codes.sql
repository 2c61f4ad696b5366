-- The SMS code pending for each user and factor, so that every instance
-- (and process) sees the same code and the same send limits. Only the
-- code's hash is kept. expires_at runs from the first send; a resend
-- replaces the hash and bumps sends and last_sent_at.
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
