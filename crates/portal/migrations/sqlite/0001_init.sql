-- Times are Unix milliseconds (UTC) so that ordering and range filters are integer
-- comparisons on every backend.

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE role_groups (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_lower   TEXT NOT NULL,
    permissions  TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    email_lower    TEXT NOT NULL,
    first_name     TEXT NOT NULL DEFAULT '',
    last_name      TEXT NOT NULL DEFAULT '',
    language       TEXT NOT NULL DEFAULT 'en',
    role           TEXT NOT NULL DEFAULT 'user',
    role_group_id  INTEGER REFERENCES role_groups(id) ON DELETE SET NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    totp_secret    TEXT,
    totp_pending   TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (account_id, email_lower)
);
CREATE INDEX users_email_any_account ON users (email_lower);
CREATE INDEX users_by_first_name ON users (account_id, lower(first_name), id);
CREATE INDEX users_by_last_name ON users (account_id, lower(last_name), id);
CREATE INDEX users_by_created ON users (account_id, created_at, id);

CREATE TABLE domains (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    txt_token    TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    approved_at  INTEGER,
    UNIQUE (account_id, name)
);

CREATE TABLE licences (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    tier          TEXT NOT NULL,
    user_id       INTEGER UNIQUE REFERENCES users(id) ON DELETE SET NULL,
    purchased_at  INTEGER NOT NULL,
    assigned_at   INTEGER
);
CREATE INDEX licences_free ON licences (account_id, tier, user_id);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    actor_id        INTEGER,
    actor_email     TEXT,
    action          TEXT NOT NULL,
    target_user_id  INTEGER,
    target          TEXT,
    client          TEXT NOT NULL,
    details         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_time ON events (account_id, at);
CREATE INDEX events_by_target ON events (account_id, target_user_id, at);
CREATE INDEX events_by_actor ON events (account_id, actor_id, at);

-- Access, refresh and personal API tokens, stored only as SHA-256 hashes. A family groups
-- the tokens descended from one sign-in so that reuse of a rotated refresh token can revoke
-- them all at once.
CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    family      TEXT,
    used        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER
);
CREATE INDEX tokens_by_family ON tokens (family);

-- Results of batch items by idempotency key, so a retried batch answers from here instead
-- of applying the item again.
CREATE TABLE idempotency (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    result      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
);
