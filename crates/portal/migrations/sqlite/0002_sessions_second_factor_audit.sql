-- Sessions a user can see and end: when each token was last presented. Personal tokens
-- get a family of their own, so every session (one sign-in, or one personal token) is
-- named by its family and ended by deleting it.
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
UPDATE tokens SET family = 'p' || lower(hex(randomblob(16))) WHERE family IS NULL;
CREATE INDEX tokens_by_user ON tokens (user_id, family);

-- The guard of each user's second factor: the last time step whose code was accepted, for
-- the active and the pending secret (a code is good once), and the wrong codes of the
-- current window (guesses are limited).
CREATE TABLE second_factor_guard (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    last_step     INTEGER,
    pending_step  INTEGER,
    failures      INTEGER NOT NULL DEFAULT 0,
    window_start  INTEGER NOT NULL DEFAULT 0
);

-- What threatens the account rather than changes it: failed sign-ins, lockouts, replayed
-- refresh tokens, second-factor changes. Kept apart from the audit log of administration.
CREATE TABLE security_events (
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
CREATE INDEX security_events_by_time ON security_events (account_id, at);

-- The audit log is append-only: no statement of the portal may change or delete an entry.
-- Only deleting the whole account (its rows cascade) removes them.
CREATE TRIGGER events_are_never_changed BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
WHEN EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER security_events_are_never_changed BEFORE UPDATE ON security_events
BEGIN
    SELECT RAISE(ABORT, 'the security log is append-only');
END;
CREATE TRIGGER security_events_are_never_deleted BEFORE DELETE ON security_events
WHEN EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id)
BEGIN
    SELECT RAISE(ABORT, 'the security log is append-only');
END;
