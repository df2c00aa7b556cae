-- Each refresh and health check that reached the platform: when, what came of it and, when it
-- failed, how (the failure class, the platform's own error code and HTTP status) and how long the
-- call took. The account's story on its detail page; pruned after PLUGBOARD_CHECK_HISTORY_DAYS.
CREATE TABLE account_checks (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES connected_accounts (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    failure_class TEXT,
    platform_code TEXT,
    http_status INTEGER,
    latency_ms INTEGER NOT NULL
);
CREATE INDEX account_checks_by_account ON account_checks (account_id, at);
CREATE INDEX account_checks_by_time ON account_checks (at);
