-- The last accepted time step of a TOTP secret that has no factors row (the
-- users file's totp_secret): UseStep accepts only a later step, so a used
-- step retires every earlier one, as factors.last_step does for enrolled
-- factors. One row per user and secret, kept for good: it is tiny, and
-- without it a step inside the window could be used again.
CREATE TABLE totp_last_steps (
    user_name TEXT NOT NULL,
    factor_id TEXT NOT NULL,
    step      BIGINT NOT NULL,
    PRIMARY KEY (user_name, factor_id)
);
