-- no-transaction
-- Workspaces own everything a person used to own. Each existing person gets a personal workspace
-- whose id is their user id, so every owner_id already names it; the columns become workspace_id
-- and point at workspaces. SQLite cannot change a foreign key in place, so the owned tables are
-- rebuilt, with foreign keys off: rebuilding a parent table with them on would cascade-delete its
-- children. That needs this migration outside sqlx's transaction; it takes its own.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

INSERT INTO workspaces (id, name, plan_id, created_at, updated_at)
SELECT id, email, plan_id, created_at, updated_at FROM users;
INSERT INTO workspace_members (workspace_id, user_id, role, created_at)
SELECT id, id, 'owner', created_at FROM users;

-- The plan moved to the workspace.
CREATE TABLE users_new (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO users_new (id, email, password_hash, created_at, updated_at)
SELECT id, email, password_hash, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE connected_accounts_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Who connected it; null when a client connected it through a link, or once they are deleted.
    connected_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    platform TEXT NOT NULL,
    platform_account_id TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT,
    profile_image_url TEXT,
    token_expires_at INTEGER,
    token_status TEXT NOT NULL DEFAULT 'active'
        CHECK (token_status IN ('active', 'expired', 'needs_reconnect')),
    is_x_premium INTEGER NOT NULL DEFAULT 0 CHECK (is_x_premium IN (0, 1)),
    -- Sealed with the instance key (XChaCha20-Poly1305), bound to the row id and column.
    access_token_enc BLOB,
    refresh_token_enc BLOB,
    secrets_enc BLOB,
    -- Non-secret facts about the connection (instance URL, creator info...), as JSON.
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    refresh_token_expires_at INTEGER,
    granted_scopes TEXT,
    next_refresh_at INTEGER,
    refresh_lease_until INTEGER,
    refresh_lease_owner TEXT,
    refresh_failures INTEGER NOT NULL DEFAULT 0,
    last_refresh_error TEXT,
    last_refreshed_at INTEGER,
    last_checked_at INTEGER,
    token_version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, platform, platform_account_id)
);
INSERT INTO connected_accounts_new (
    id, workspace_id, connected_by, platform, platform_account_id, username, display_name,
    profile_image_url, token_expires_at, token_status, is_x_premium, access_token_enc,
    refresh_token_enc, secrets_enc, metadata, created_at, updated_at, refresh_token_expires_at,
    granted_scopes, next_refresh_at, refresh_lease_until, refresh_lease_owner, refresh_failures,
    last_refresh_error, last_refreshed_at, last_checked_at, token_version)
SELECT
    id, owner_id, owner_id, platform, platform_account_id, username, display_name,
    profile_image_url, token_expires_at, token_status, is_x_premium, access_token_enc,
    refresh_token_enc, secrets_enc, metadata, created_at, updated_at, refresh_token_expires_at,
    granted_scopes, next_refresh_at, refresh_lease_until, refresh_lease_owner, refresh_failures,
    last_refresh_error, last_refreshed_at, last_checked_at, token_version
FROM connected_accounts;
DROP TABLE connected_accounts;
ALTER TABLE connected_accounts_new RENAME TO connected_accounts;
CREATE INDEX connected_accounts_workspace ON connected_accounts (workspace_id);
CREATE INDEX connected_accounts_next_refresh ON connected_accounts (next_refresh_at);

CREATE TABLE oauth_states_new (
    state_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    started_by TEXT REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    reconnect_account_id TEXT,
    instance_url TEXT,
    code_verifier_enc BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER,
    outcome TEXT
);
INSERT INTO oauth_states_new (
    state_hash, workspace_id, started_by, platform, reconnect_account_id, instance_url,
    code_verifier_enc, created_at, expires_at, consumed_at, outcome)
SELECT state_hash, owner_id, owner_id, platform, reconnect_account_id, instance_url,
    code_verifier_enc, created_at, expires_at, consumed_at, outcome
FROM oauth_states;
DROP TABLE oauth_states;
ALTER TABLE oauth_states_new RENAME TO oauth_states;
CREATE INDEX oauth_states_created_at ON oauth_states (created_at);

CREATE TABLE connect_selections_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    started_by TEXT REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    choices_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
INSERT INTO connect_selections_new (
    id, workspace_id, started_by, platform, choices_enc, created_at, expires_at)
SELECT id, owner_id, owner_id, platform, choices_enc, created_at, expires_at
FROM connect_selections;
DROP TABLE connect_selections;
ALTER TABLE connect_selections_new RENAME TO connect_selections;

CREATE TABLE webhook_endpoints_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO webhook_endpoints_new (id, workspace_id, url, secret_enc, created_at)
SELECT id, owner_id, url, secret_enc, created_at FROM webhook_endpoints;
DROP TABLE webhook_endpoints;
ALTER TABLE webhook_endpoints_new RENAME TO webhook_endpoints;
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id);

CREATE TABLE outbox_events_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO outbox_events_new (id, workspace_id, kind, payload, created_at)
SELECT id, owner_id, kind, payload, created_at FROM outbox_events;
DROP TABLE outbox_events;
ALTER TABLE outbox_events_new RENAME TO outbox_events;
CREATE INDEX outbox_events_workspace ON outbox_events (workspace_id, created_at);

CREATE TABLE webhook_deliveries_new (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_status_code INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
INSERT INTO webhook_deliveries_new (
    id, event_id, endpoint_id, workspace_id, status, attempts, next_attempt_at, lease_until,
    last_status_code, last_error, created_at, delivered_at)
SELECT id, event_id, endpoint_id, owner_id, status, attempts, next_attempt_at, lease_until,
    last_status_code, last_error, created_at, delivered_at
FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_workspace ON webhook_deliveries (workspace_id, created_at);

CREATE TABLE api_keys_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- A key acts as the person who made it, and stops when they leave the workspace.
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
INSERT INTO api_keys_new (
    id, workspace_id, created_by, name, prefix, key_hash, created_at, last_used_at, revoked_at)
SELECT id, owner_id, owner_id, name, prefix, key_hash, created_at, last_used_at, revoked_at
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

CREATE TABLE posts_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancel_reason TEXT,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO posts_new (
    id, workspace_id, text, scheduled_at, status, cancel_reason, idempotency_key, created_at,
    updated_at)
SELECT id, owner_id, text, scheduled_at, status, cancel_reason, idempotency_key, created_at,
    updated_at
FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX posts_workspace ON posts (workspace_id, scheduled_at);
CREATE UNIQUE INDEX posts_idempotency ON posts (workspace_id, idempotency_key);

CREATE TABLE audit_events_new (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    account_id TEXT,
    platform TEXT,
    detail TEXT,
    created_at INTEGER NOT NULL
);
INSERT INTO audit_events_new (
    id, workspace_id, actor, action, account_id, platform, detail, created_at)
SELECT id, owner_id, actor, action, account_id, platform, detail, created_at FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, created_at);
CREATE INDEX audit_events_account ON audit_events (account_id, created_at);

COMMIT;
PRAGMA foreign_keys = ON;
