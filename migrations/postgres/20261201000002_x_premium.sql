-- The platform is called X everywhere else (the views, the API, the adapters): the column follows.
ALTER TABLE connected_accounts RENAME COLUMN is_twitter_premium TO is_x_premium;
