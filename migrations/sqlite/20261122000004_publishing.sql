-- Serving the publishing tools: personal API keys, scheduled posts and their target accounts,
-- and the audit trail.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The first characters, to tell keys apart; the key itself is only ever stored as a hash.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_keys_owner ON api_keys (owner_id);

CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    -- 'cancelled_by_owner' or 'account_disconnected'.
    cancel_reason TEXT,
    -- A client's Idempotency-Key: a retried create returns the first post instead of a second.
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX posts_owner ON posts (owner_id, scheduled_at);
CREATE UNIQUE INDEX posts_idempotency ON posts (owner_id, idempotency_key);

-- Deleting an account removes it from every post; posts left with no target are cancelled first,
-- in the same transaction (see engine/src/disconnect.rs).
CREATE TABLE post_targets (
    post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES connected_accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, account_id)
);
CREATE INDEX post_targets_account ON post_targets (account_id);

-- Who did what and when. No foreign key on the account: its history outlives a disconnect.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    account_id TEXT,
    platform TEXT,
    detail TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_events_owner ON audit_events (owner_id, created_at);
CREATE INDEX audit_events_account ON audit_events (account_id, created_at);
