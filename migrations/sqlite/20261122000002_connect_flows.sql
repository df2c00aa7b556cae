-- Connect flows: single-use OAuth states, per-instance Mastodon apps, pending account choices.

CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    reconnect_account_id TEXT,
    instance_url TEXT,
    code_verifier_enc BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER,
    -- 'connected' once the callback that consumed it stored the account.
    outcome TEXT
);
CREATE INDEX oauth_states_created_at ON oauth_states (created_at);

CREATE TABLE mastodon_apps (
    instance_url TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (instance_url, redirect_uri)
);

-- After a consent that covers several accounts (Facebook Pages): the choices, with their tokens
-- sealed, until the person picks. The code was exchanged once, before this row was written.
CREATE TABLE connect_selections (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    choices_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

ALTER TABLE connected_accounts ADD COLUMN refresh_token_expires_at INTEGER;
ALTER TABLE connected_accounts ADD COLUMN granted_scopes TEXT;
