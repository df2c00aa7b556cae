-- Plans, users, sessions, sign-in throttling and connected accounts.
-- Times are Unix milliseconds; flags are 0/1 integers (the types SQLite and PostgreSQL share).

CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    monthly_price_cents INTEGER NOT NULL,
    total_limit INTEGER,
    sort_order INTEGER NOT NULL
);

CREATE TABLE plan_platform_limits (
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    max_accounts INTEGER NOT NULL,
    PRIMARY KEY (plan_id, platform)
);

INSERT INTO plans (id, name, description, monthly_price_cents, total_limit, sort_order) VALUES
    ('free', 'Free', 'Three accounts to try Plugboard, one of them on LinkedIn.', 0, 3, 1),
    ('pro', 'Pro', 'Twenty-five accounts for a creator or a small team.', 1900, 25, 2),
    ('business', 'Business', 'No limit on accounts, for agencies and larger teams.', 7900, NULL, 3);

INSERT INTO plan_platform_limits (plan_id, platform, max_accounts) VALUES
    ('free', 'linkedin', 1),
    ('pro', 'linkedin', 5);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The session id itself never reaches the database: only its SHA-256.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE sign_in_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_client_ip ON sign_in_failures (client_ip, failed_at);

CREATE TABLE connected_accounts (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    platform_account_id TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT,
    profile_image_url TEXT,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    token_expires_at BIGINT,
    token_status TEXT NOT NULL DEFAULT 'active'
        CHECK (token_status IN ('active', 'expired', 'needs_reconnect')),
    is_twitter_premium INTEGER NOT NULL DEFAULT 0 CHECK (is_twitter_premium IN (0, 1)),
    -- Sealed with the instance key (XChaCha20-Poly1305), bound to the row id and column.
    access_token_enc BYTEA,
    refresh_token_enc BYTEA,
    secrets_enc BYTEA,
    -- Non-secret facts about the connection (instance URL, creator info...), as JSON.
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_id, platform, platform_account_id)
);
CREATE INDEX connected_accounts_owner ON connected_accounts (owner_id, is_active);
