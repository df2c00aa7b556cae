-- An invitation to join a workspace with a role: a single-use link, kept only as a hash, that
-- expires; accepted by the person with the invited email address.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    accepted_at INTEGER,
    accepted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    revoked_at INTEGER
);
CREATE INDEX invitations_workspace ON invitations (workspace_id, created_at);
