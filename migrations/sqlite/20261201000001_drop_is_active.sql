-- Disconnecting deletes an account's row, so nothing ever set is_active to 0: the column and the
-- filters on it only suggested a soft delete that does not exist.
DROP INDEX connected_accounts_owner;
ALTER TABLE connected_accounts DROP COLUMN is_active;
CREATE INDEX connected_accounts_owner ON connected_accounts (owner_id);
