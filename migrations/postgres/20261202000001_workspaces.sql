-- Workspaces own everything a person used to own. Each existing person gets a personal workspace
-- whose id is their user id, so every owner_id already names it; the columns become workspace_id
-- and point at workspaces.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

INSERT INTO workspaces (id, name, plan_id, created_at, updated_at)
SELECT id, email, plan_id, created_at, updated_at FROM users;
INSERT INTO workspace_members (workspace_id, user_id, role, created_at)
SELECT id, id, 'owner', created_at FROM users;

-- The plan moved to the workspace.
ALTER TABLE users DROP COLUMN plan_id;

-- Who connected an account; null when a client connected it through a link, or once they are
-- deleted.
ALTER TABLE connected_accounts ADD COLUMN connected_by TEXT REFERENCES users (id) ON DELETE SET NULL;
UPDATE connected_accounts SET connected_by = owner_id;
ALTER TABLE oauth_states ADD COLUMN started_by TEXT REFERENCES users (id) ON DELETE CASCADE;
UPDATE oauth_states SET started_by = owner_id;
ALTER TABLE connect_selections ADD COLUMN started_by TEXT REFERENCES users (id) ON DELETE CASCADE;
UPDATE connect_selections SET started_by = owner_id;
-- A key acts as the person who made it, and stops when they leave the workspace.
ALTER TABLE api_keys ADD COLUMN created_by TEXT REFERENCES users (id) ON DELETE CASCADE;
UPDATE api_keys SET created_by = owner_id;
ALTER TABLE api_keys ALTER COLUMN created_by SET NOT NULL;

ALTER TABLE connected_accounts DROP CONSTRAINT connected_accounts_owner_id_fkey;
ALTER TABLE connected_accounts RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE connected_accounts ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX connected_accounts_owner RENAME TO connected_accounts_workspace;

ALTER TABLE oauth_states DROP CONSTRAINT oauth_states_owner_id_fkey;
ALTER TABLE oauth_states RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE oauth_states ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;

ALTER TABLE connect_selections DROP CONSTRAINT connect_selections_owner_id_fkey;
ALTER TABLE connect_selections RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE connect_selections ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;

ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_owner_id_fkey;
ALTER TABLE webhook_endpoints RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE webhook_endpoints ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX webhook_endpoints_owner RENAME TO webhook_endpoints_workspace;

ALTER TABLE outbox_events DROP CONSTRAINT outbox_events_owner_id_fkey;
ALTER TABLE outbox_events RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE outbox_events ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX outbox_events_owner RENAME TO outbox_events_workspace;

ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_owner_id_fkey;
ALTER TABLE webhook_deliveries RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE webhook_deliveries ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX webhook_deliveries_owner RENAME TO webhook_deliveries_workspace;

ALTER TABLE api_keys DROP CONSTRAINT api_keys_owner_id_fkey;
ALTER TABLE api_keys RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE api_keys ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX api_keys_owner RENAME TO api_keys_workspace;

ALTER TABLE posts DROP CONSTRAINT posts_owner_id_fkey;
ALTER TABLE posts RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE posts ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX posts_owner RENAME TO posts_workspace;

ALTER TABLE audit_events DROP CONSTRAINT audit_events_owner_id_fkey;
ALTER TABLE audit_events RENAME COLUMN owner_id TO workspace_id;
ALTER TABLE audit_events ADD FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER INDEX audit_events_owner RENAME TO audit_events_workspace;
