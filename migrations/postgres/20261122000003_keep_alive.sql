-- Keeping tokens alive: refresh scheduling and leases, health checks, and signed webhooks
-- delivered from a durable outbox.

-- When the worker should next refresh (or retry); NULL when the account cannot be refreshed.
ALTER TABLE connected_accounts ADD COLUMN next_refresh_at BIGINT;
-- One refresh per account at a time, across processes: whoever holds an unexpired lease.
ALTER TABLE connected_accounts ADD COLUMN refresh_lease_until BIGINT;
ALTER TABLE connected_accounts ADD COLUMN refresh_lease_owner TEXT;
-- Consecutive transient failures (for backoff) and the last failure, described without secrets.
ALTER TABLE connected_accounts ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connected_accounts ADD COLUMN last_refresh_error TEXT;
ALTER TABLE connected_accounts ADD COLUMN last_refreshed_at BIGINT;
ALTER TABLE connected_accounts ADD COLUMN last_checked_at BIGINT;
CREATE INDEX connected_accounts_next_refresh ON connected_accounts (next_refresh_at);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- Sealed: Plugboard needs the secret itself to sign.
    secret_enc BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner_id);

-- Events are written here in the same transaction as the change that caused them.
CREATE TABLE outbox_events (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_events_owner ON outbox_events (owner_id, created_at);

-- One row per (event, endpoint), retried until delivered or out of attempts.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_status_code INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_owner ON webhook_deliveries (owner_id, created_at);
