-- A link through which someone without an account connects their own account into a workspace:
-- for a set of platforms, or to reconnect one account; used at most max_uses times, until it
-- expires or is revoked; kept only as a hash.
CREATE TABLE connect_links (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    -- Platform slugs, comma-separated.
    platforms TEXT NOT NULL,
    reconnect_account_id TEXT REFERENCES connected_accounts (id) ON DELETE CASCADE,
    note TEXT,
    max_uses BIGINT NOT NULL CHECK (max_uses >= 1),
    uses BIGINT NOT NULL DEFAULT 0,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX connect_links_workspace ON connect_links (workspace_id, created_at);

-- A connect started from a link is bound to it instead of to a signed-in person.
ALTER TABLE oauth_states ADD COLUMN connect_link_id TEXT REFERENCES connect_links (id) ON DELETE CASCADE;
-- Which link an account came through, for the page and the trail.
ALTER TABLE connected_accounts ADD COLUMN connect_link_id TEXT REFERENCES connect_links (id) ON DELETE SET NULL;
