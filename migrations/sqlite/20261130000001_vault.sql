-- A vault people can trust.

-- Goes up by one whenever an account's tokens are replaced (a refresh, a reconnect). A refresh
-- stores what it got only if the row still holds the tokens it was made from: the row's own
-- state decides, not whether a lease timer ran out.
ALTER TABLE connected_accounts ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

-- A Mastodon account's identity includes its instance (`<id>@<instance>`): the same numeric id
-- on another server is another person, and must never replace this one.
UPDATE connected_accounts
SET platform_account_id = platform_account_id || '@' || substr(
        json_extract(metadata, '$.instance_url'),
        instr(json_extract(metadata, '$.instance_url'), '://') + 3)
WHERE platform = 'mastodon'
  AND json_extract(metadata, '$.instance_url') IS NOT NULL
  AND platform_account_id NOT LIKE '%@%';

-- Every sign-up attempt, per client address, to throttle them like sign-ins.
CREATE TABLE sign_up_attempts (
    id TEXT PRIMARY KEY,
    client_ip TEXT NOT NULL,
    attempted_at INTEGER NOT NULL
);
CREATE INDEX sign_up_attempts_client_ip ON sign_up_attempts (client_ip, attempted_at);
