//! Connected accounts: one row per (owner, platform, platform account id).

use crate::platforms::adapters::{adapter, KnownAccount};
use crate::platforms::catalog::spec;
use crate::storage::crypto::SecretBox;
use crate::storage::db::{flag, new_id, to_millis, Db};
use chrono::{DateTime, Utc};
use domain::columns::{Flag, JsonText, MaybeMillis, Millis};
use domain::{token_status, ConnectedAccount, ConnectedBy, Platform, StoredTokenStatus, Usage};
use secrecy::SecretString;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

/// An account row without its secrets.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AccountRecord {
    pub id: String,
    pub workspace_id: String,
    /// The person who connected it (a user id); `None` once they are deleted.
    pub connected_by: Option<String>,
    #[sqlx(try_from = "String")]
    pub platform: Platform,
    pub platform_account_id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub profile_image_url: Option<String>,
    #[sqlx(try_from = "MaybeMillis")]
    pub token_expires_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub token_status: StoredTokenStatus,
    #[sqlx(try_from = "Flag")]
    pub is_x_premium: bool,
    #[sqlx(try_from = "JsonText")]
    pub metadata: Value,
    #[sqlx(try_from = "Millis")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Millis")]
    pub updated_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeMillis")]
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// Goes up by one every time the tokens are replaced: a write made from tokens read at one
    /// version only lands if the row is still at that version.
    pub token_version: i64,
    /// Transient refresh failures in a row (for backoff).
    #[sqlx(try_from = "i64")]
    pub refresh_failures: u32,
    /// When the worker will next try to refresh it; `None` when it cannot be refreshed.
    #[sqlx(try_from = "MaybeMillis")]
    pub next_refresh_at: Option<DateTime<Utc>>,
}

const RECORD_COLUMNS: &str =
    "id, workspace_id, connected_by, platform, platform_account_id, username, display_name, \
    profile_image_url, token_expires_at, token_status, is_x_premium, metadata, \
    created_at, updated_at, last_refreshed_at, token_version, refresh_failures, next_refresh_at";

impl AccountRecord {
    /// An account of `platform` for unit tests: active, an hour left, never refreshed.
    #[cfg(test)]
    pub(crate) fn example(platform: Platform) -> AccountRecord {
        let now = Utc::now();
        AccountRecord {
            id: "a1".into(),
            workspace_id: "u1".into(),
            connected_by: None,
            platform,
            platform_account_id: "p1".into(),
            username: "ada".into(),
            display_name: None,
            profile_image_url: None,
            token_expires_at: Some(now + chrono::Duration::hours(1)),
            token_status: StoredTokenStatus::Active,
            is_x_premium: false,
            metadata: Value::Object(Default::default()),
            created_at: now,
            updated_at: now,
            last_refreshed_at: None,
            token_version: 0,
            refresh_failures: 0,
            next_refresh_at: None,
        }
    }

    /// Demo rows hold placeholder tokens: nothing is ever checked or refreshed for them.
    pub fn is_demo(&self) -> bool {
        self.metadata.get("demo").and_then(Value::as_bool) == Some(true)
    }

    /// The account as the platform's adapter sees it.
    pub fn known(&self) -> KnownAccount<'_> {
        KnownAccount {
            id: &self.id,
            platform: self.platform,
            platform_account_id: &self.platform_account_id,
            username: &self.username,
            metadata: &self.metadata,
        }
    }

    /// What the connections list shows for this row at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> ConnectedAccount {
        let mut shown = ConnectedAccount {
            id: self.id.clone(),
            platform: self.platform,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            profile_image_url: self.profile_image_url.clone(),
            status: token_status(
                self.token_status,
                self.token_expires_at,
                spec(self.platform).expiry_display(),
                now,
            ),
            // Only a profile that states a subscription (X's) ever sets it.
            is_x_premium: self.is_x_premium,
            refreshed_at: self.last_refreshed_at,
            connected_at: self.created_at,
            connected_by: None,
            may_disconnect: false,
            history: Vec::new(),
        };
        adapter(self.platform).shown(self.known(), &mut shown);
        shown
    }
}

/// The workspace's accounts as [`list_owned`] orders them, each with who connected it: the
/// person (also after they left the workspace), or the connect link it came through. One query,
/// read on every load of the connections page.
pub async fn list_with_connectors(
    db: &Db,
    workspace_id: &str,
) -> Result<Vec<(AccountRecord, Option<ConnectedBy>)>, sqlx::Error> {
    with_connectors(db, workspace_id, None).await
}

/// One of the workspace's accounts with who connected it, as [`list_with_connectors`] reads it.
pub async fn find_with_connector(
    db: &Db,
    workspace_id: &str,
    account_id: &str,
) -> Result<Option<(AccountRecord, Option<ConnectedBy>)>, sqlx::Error> {
    Ok(with_connectors(db, workspace_id, Some(account_id))
        .await?
        .pop())
}

async fn with_connectors(
    db: &Db,
    workspace_id: &str,
    only: Option<&str>,
) -> Result<Vec<(AccountRecord, Option<ConnectedBy>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        #[sqlx(flatten)]
        record: AccountRecord,
        connector_email: Option<String>,
        link_id: Option<String>,
        link_note: Option<String>,
    }
    let only_one = if only.is_some() { " AND id = $2" } else { "" };
    let sql = format!(
        "SELECT a.*, u.email AS connector_email, l.id AS link_id, l.note AS link_note
         FROM (SELECT {RECORD_COLUMNS}, connect_link_id FROM connected_accounts
               WHERE workspace_id = $1{only_one}) a
         LEFT JOIN users u ON u.id = a.connected_by
         LEFT JOIN connect_links l ON l.id = a.connect_link_id
         ORDER BY a.platform, a.created_at, a.id"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace_id);
    if let Some(id) = only {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(readable(&rows, |row| {
        let listed = Listed::from_row(row)?;
        let by = match (listed.connector_email, listed.link_id) {
            (Some(email), _) => Some(ConnectedBy::Person { email }),
            (None, Some(_)) => Some(ConnectedBy::Link {
                note: listed.link_note,
            }),
            (None, None) => None,
        };
        Ok((listed.record, by))
    }))
}

/// The rows `read` can make sense of. One unreadable row must not hide every other account.
fn readable<T>(rows: &[AnyRow], read: impl Fn(&AnyRow) -> Result<T, sqlx::Error>) -> Vec<T> {
    rows.iter()
        .filter_map(|row| {
            read(row)
                .inspect_err(|err| {
                    tracing::error!(error = %err, "skipping an unreadable connected account row")
                })
                .ok()
        })
        .collect()
}

/// The workspace's accounts, grouped by platform, oldest first within a platform.
pub async fn list_owned(db: &Db, workspace_id: &str) -> Result<Vec<AccountRecord>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    list_owned_in(&mut conn, workspace_id).await
}

/// [`list_owned`] inside the caller's transaction.
pub async fn list_owned_in(
    conn: &mut AnyConnection,
    workspace_id: &str,
) -> Result<Vec<AccountRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM connected_accounts
         WHERE workspace_id = $1
         ORDER BY platform, created_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(workspace_id)
        .fetch_all(conn)
        .await?;
    Ok(readable(&rows, |row| AccountRecord::from_row(row)))
}

/// How many accounts the owner has, per platform. Takes a connection so that it can run
/// inside the transaction that adds an account.
pub async fn usage(conn: &mut AnyConnection, workspace_id: &str) -> Result<Usage, sqlx::Error> {
    let slugs: Vec<String> =
        sqlx::query_scalar("SELECT platform FROM connected_accounts WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(conn)
            .await?;
    let platforms = slugs
        .into_iter()
        .map(Platform::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|unknown| sqlx::Error::Decode(Box::new(unknown)))?;
    Ok(Usage::from_platforms(platforms))
}

/// Makes an owner's tokens expire now (a development aid): refreshable ones become due at once.
pub async fn expire_now(
    db: &Db,
    workspace_id: &str,
    platform: Option<Platform>,
) -> Result<u64, sqlx::Error> {
    let now = to_millis(Utc::now());
    let done = sqlx::query(
        "UPDATE connected_accounts SET token_expires_at = $1,
             next_refresh_at = CASE WHEN next_refresh_at IS NULL THEN NULL ELSE $1 END
         WHERE workspace_id = $2 AND ($3 IS NULL OR platform = $3)",
    )
    .bind(now)
    .bind(workspace_id)
    .bind(platform.map(Platform::slug))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// How many accounts have each stored status, across all owners (for the gauges).
pub async fn count_by_status(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT token_status, COUNT(*) FROM connected_accounts GROUP BY token_status")
        .fetch_all(db.pool())
        .await
}

/// Everything needed to store a freshly connected (or reconnected) account.
#[derive(Debug)]
pub struct NewAccount {
    pub platform: Platform,
    pub platform_account_id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub profile_image_url: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub token_status: StoredTokenStatus,
    pub is_x_premium: bool,
    pub access_token: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
    /// Another secret kept for the account (Bluesky's app password).
    pub extra_secret: Option<SecretString>,
    pub granted_scopes: Option<String>,
    pub metadata: Value,
    /// When the worker should refresh the token; `None` when it cannot be refreshed.
    pub next_refresh_at: Option<DateTime<Utc>>,
}

/// An account's sealed secrets, each in its own column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    AccessToken,
    RefreshToken,
    /// What else a platform needs kept (a Bluesky app password...).
    Secrets,
}

impl Sealed {
    pub const ALL: [Sealed; 3] = [Sealed::AccessToken, Sealed::RefreshToken, Sealed::Secrets];

    /// The name a sealed value is bound to (part of its associated data: never change it).
    fn name(self) -> &'static str {
        match self {
            Sealed::AccessToken => "access_token",
            Sealed::RefreshToken => "refresh_token",
            Sealed::Secrets => "secrets",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Sealed::AccessToken => "access_token_enc",
            Sealed::RefreshToken => "refresh_token_enc",
            Sealed::Secrets => "secrets_enc",
        }
    }
}

/// The associated data that binds a sealed secret to its row and column.
pub fn secret_context(account_id: &str, which: Sealed) -> String {
    format!("connected_accounts:{account_id}:{}", which.name())
}

/// One of an account's secrets, sealed for its column.
pub fn seal_secret(secrets: &SecretBox, id: &str, secret: &SecretString, which: Sealed) -> Vec<u8> {
    secrets.seal(secret, &secret_context(id, which))
}

fn seal(
    secrets: &SecretBox,
    id: &str,
    secret: &Option<SecretString>,
    which: Sealed,
) -> Option<Vec<u8>> {
    secret.as_ref().map(|s| seal_secret(secrets, id, s, which))
}

pub async fn insert(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    workspace_id: &str,
    connected_by: Option<&str>,
    account: NewAccount,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    let now = to_millis(Utc::now());
    sqlx::query(
        "INSERT INTO connected_accounts (id, workspace_id, platform, platform_account_id, username,
             display_name, profile_image_url, token_expires_at, token_status,
             is_x_premium, access_token_enc, refresh_token_enc, refresh_token_expires_at,
             secrets_enc, granted_scopes, metadata, next_refresh_at, created_at, updated_at,
             connected_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(account.platform.slug())
    .bind(&account.platform_account_id)
    .bind(&account.username)
    .bind(&account.display_name)
    .bind(&account.profile_image_url)
    .bind(account.token_expires_at.map(to_millis))
    .bind(account.token_status.as_str())
    .bind(flag(account.is_x_premium))
    .bind(seal(secrets, &id, &account.access_token, Sealed::AccessToken))
    .bind(seal(secrets, &id, &account.refresh_token, Sealed::RefreshToken))
    .bind(account.refresh_token_expires_at.map(to_millis))
    .bind(seal(secrets, &id, &account.extra_secret, Sealed::Secrets))
    .bind(&account.granted_scopes)
    .bind(account.metadata.to_string())
    .bind(account.next_refresh_at.map(to_millis))
    .bind(now)
    .bind(connected_by)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Reconnecting updates the same row: same id, so everything that points at the account keeps
/// working. The status is cleared, and a refresh token is only replaced by a new, non-empty one.
pub async fn update_reconnected(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    id: &str,
    account: NewAccount,
) -> Result<(), sqlx::Error> {
    let new_refresh = seal(secrets, id, &account.refresh_token, Sealed::RefreshToken);
    let has_new_refresh = flag(new_refresh.is_some());
    sqlx::query(
        "UPDATE connected_accounts SET
             username = $1, display_name = $2, profile_image_url = $3,
             token_expires_at = $4, token_status = $5, is_x_premium = $6,
             access_token_enc = $7,
             refresh_token_enc = COALESCE($8, refresh_token_enc),
             refresh_token_expires_at = CASE WHEN $9 = 1 THEN $10 ELSE refresh_token_expires_at END,
             secrets_enc = COALESCE($11, secrets_enc),
             granted_scopes = COALESCE($12, granted_scopes),
             metadata = $13, updated_at = $14, next_refresh_at = $16,
             refresh_failures = 0, last_refresh_error = NULL, token_version = token_version + 1,
             refresh_lease_until = NULL, refresh_lease_owner = NULL
         WHERE id = $15",
    )
    .bind(&account.username)
    .bind(&account.display_name)
    .bind(&account.profile_image_url)
    .bind(account.token_expires_at.map(to_millis))
    .bind(account.token_status.as_str())
    .bind(flag(account.is_x_premium))
    .bind(seal(
        secrets,
        id,
        &account.access_token,
        Sealed::AccessToken,
    ))
    .bind(new_refresh)
    .bind(has_new_refresh)
    .bind(account.refresh_token_expires_at.map(to_millis))
    .bind(seal(secrets, id, &account.extra_secret, Sealed::Secrets))
    .bind(&account.granted_scopes)
    .bind(account.metadata.to_string())
    .bind(to_millis(Utc::now()))
    .bind(id)
    .bind(account.next_refresh_at.map(to_millis))
    .execute(conn)
    .await?;
    Ok(())
}

/// The one account a query selects ([`RECORD_COLUMNS`]), if any.
async fn one_record(
    conn: &mut AnyConnection,
    query: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    query
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(AccountRecord::from_row)
        .transpose()
}

/// The owner's row for this platform account, if they have one (identity: owner, platform, id).
pub async fn find_by_identity(
    conn: &mut AnyConnection,
    workspace_id: &str,
    platform: Platform,
    platform_account_id: &str,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM connected_accounts
         WHERE workspace_id = $1 AND platform = $2 AND platform_account_id = $3"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(workspace_id)
        .bind(platform.slug())
        .bind(platform_account_id);
    one_record(conn, query).await
}

/// Any account by id (for the worker, which acts for every owner).
pub async fn find_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM connected_accounts WHERE id = $1");
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
    one_record(conn, query).await
}

/// One of the owner's accounts by id; `None` for another owner's (never a hint that it exists).
pub async fn find_owned(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: &str,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM connected_accounts WHERE id = $1 AND workspace_id = $2"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(workspace_id);
    one_record(conn, query).await
}

/// An account's row and its secrets, read in one statement so that they belong together: the
/// tokens are the ones of `record.token_version`.
#[derive(Debug)]
pub struct Snapshot {
    pub record: AccountRecord,
    pub access: Option<SecretString>,
    pub refresh: Option<SecretString>,
    /// Another secret kept for the account (Bluesky's app password).
    pub extra: Option<SecretString>,
}

pub async fn snapshot(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    id: &str,
) -> Result<Option<Snapshot>, sqlx::Error> {
    let sql = format!(
        "SELECT {RECORD_COLUMNS}, access_token_enc, refresh_token_enc, secrets_enc
         FROM connected_accounts WHERE id = $1"
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
    else {
        return Ok(None);
    };
    let [access, refresh, extra] = open_row_secrets(&row, secrets, id)?;
    Ok(Some(Snapshot {
        record: AccountRecord::from_row(&row)?,
        access,
        refresh,
        extra,
    }))
}

fn open_row_secrets(
    row: &AnyRow,
    secrets: &SecretBox,
    id: &str,
) -> Result<[Option<SecretString>; 3], sqlx::Error> {
    let mut opened = [None, None, None];
    for (slot, which) in opened.iter_mut().zip(Sealed::ALL) {
        if let Some(sealed) = row.try_get::<Option<Vec<u8>>, _>(which.column())? {
            *slot = Some(
                secrets
                    .open(&sealed, &secret_context(id, which))
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            );
        }
    }
    Ok(opened)
}

/// An account's three sealed secrets, opened: access token, refresh token, other secret.
pub async fn open_all_secrets(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    id: &str,
) -> Result<[Option<SecretString>; 3], sqlx::Error> {
    let row = sqlx::query("SELECT access_token_enc, refresh_token_enc, secrets_enc FROM connected_accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => open_row_secrets(&row, secrets, id),
        None => Ok([None, None, None]),
    }
}

/// Opens one of an account's sealed secrets.
pub async fn open_secret(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    id: &str,
    which: Sealed,
) -> Result<Option<SecretString>, sqlx::Error> {
    // The column's name comes from the enum, never from input.
    let sql = format!(
        "SELECT {} FROM connected_accounts WHERE id = $1",
        which.column()
    );
    let sealed: Option<Option<Vec<u8>>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    let Some(sealed) = sealed.flatten() else {
        return Ok(None);
    };
    secrets
        .open(&sealed, &secret_context(id, which))
        .map(Some)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
