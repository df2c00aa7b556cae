//! API keys for the publishing tools: shown once when created, stored only as a SHA-256 hash,
//! scoped to a workspace, acting as the person who made them (at most as a member), revocable,
//! and dead once that person leaves the workspace.

use crate::events::audit::{self, Subject};
use crate::identity::workspaces::Member;
use crate::storage::db::{flag, new_id, to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use domain::columns::MaybeMillis;
use domain::ApiKeyView;
use domain::{AuditAction, Permission, Role};
use secrecy::{ExposeSecret, SecretString};

const KEY_PREFIX: &str = "pb_";
/// How much of a key is kept in the clear to tell keys apart in lists.
const SHOWN_CHARACTERS: usize = 10;
pub const MAX_KEYS_PER_OWNER: i64 = 25;
/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("Give the key a name (1 to 80 characters), like the tool that will use it.")]
    InvalidName,
    #[error("You have as many API keys as Plugboard allows. Revoke one first.")]
    TooMany,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Creates a key acting as `maker` in their current workspace; returns its id and the key itself,
/// which is never shown again.
pub async fn create(
    db: &Db,
    maker: &Member,
    name: &str,
) -> Result<(String, SecretString), KeyError> {
    let workspace_id = maker.workspace_id();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(KeyError::InvalidName);
    }
    let mut tx = db.begin_write().await?;
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE workspace_id = $1 AND revoked_at IS NULL",
    )
    .bind(workspace_id)
    .fetch_one(&mut *tx)
    .await?;
    if active >= MAX_KEYS_PER_OWNER {
        return Err(KeyError::TooMany);
    }
    let key = super::new_token(KEY_PREFIX);
    let id = new_id();
    sqlx::query(
        "INSERT INTO api_keys (id, workspace_id, created_by, name, prefix, key_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(&maker.user.id)
    .bind(name)
    .bind(&key[..SHOWN_CHARACTERS])
    .bind(super::token_hash(&key))
    .bind(to_millis(Utc::now()))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        workspace_id,
        &maker.user.email,
        AuditAction::ApiKeyCreated,
        Subject {
            account_id: None,
            platform: None,
            detail: Some(name),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, SecretString::from(key)))
}

/// Revokes a key of the actor's workspace: their own, or anyone's when their role manages keys.
/// `false` if there is no such key they may revoke (or it is revoked already).
pub async fn revoke(db: &Db, actor: &Member, id: &str) -> Result<bool, sqlx::Error> {
    let workspace_id = actor.workspace_id();
    let mut tx = db.begin_write().await?;
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE api_keys SET revoked_at = $1
         WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL AND ($4 = 1 OR created_by = $5)
         RETURNING name",
    )
    .bind(to_millis(Utc::now()))
    .bind(id)
    .bind(workspace_id)
    .bind(flag(actor.may(Permission::ManageApiKeys)))
    .bind(&actor.user.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else {
        return Ok(false);
    };
    audit::record(
        &mut tx,
        workspace_id,
        &actor.user.email,
        AuditAction::ApiKeyRevoked,
        Subject {
            account_id: None,
            platform: None,
            detail: Some(&name),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Who a valid key acts for: its workspace, its maker's role there (at most member), its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub workspace_id: String,
    pub role: Role,
    pub key_name: String,
}

#[derive(sqlx::FromRow)]
struct PresentedKey {
    id: String,
    workspace_id: String,
    name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    #[sqlx(try_from = "MaybeMillis")]
    last_used_at: Option<DateTime<Utc>>,
}

/// The holder of a presented key, if the key is valid and its maker still belongs to its
/// workspace.
pub async fn authenticate(
    db: &Db,
    presented: &SecretString,
) -> Result<Option<KeyHolder>, sqlx::Error> {
    let Some(hash) = super::presented_hash(presented.expose_secret(), KEY_PREFIX) else {
        return Ok(None);
    };
    let found: Option<PresentedKey> = sqlx::query_as(
        "SELECT k.id, k.workspace_id, k.name, m.role, k.last_used_at FROM api_keys k
         JOIN workspace_members m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(db.pool())
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let now = Utc::now();
    if found
        .last_used_at
        .is_none_or(|at| now - at > LAST_USED_GRANULARITY)
    {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(&found.id)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(KeyHolder {
        workspace_id: found.workspace_id,
        role: found.role.for_api_key(),
        key_name: found.name,
    }))
}

/// The keys a person sees on the settings page: everyone's when their role manages keys, else
/// their own; none for a role that cannot use keys.
pub async fn list(db: &Db, viewer: &Member) -> Result<Vec<ApiKeyView>, sqlx::Error> {
    if !viewer.may(Permission::UseApiKeys) {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT k.id, k.name, k.prefix, k.created_at, k.last_used_at, u.email AS created_by
         FROM api_keys k JOIN users u ON u.id = k.created_by
         WHERE k.workspace_id = $1 AND k.revoked_at IS NULL AND ($2 = 1 OR k.created_by = $3)
         ORDER BY k.created_at, k.id",
    )
    .bind(viewer.workspace_id())
    .bind(flag(viewer.may(Permission::ManageApiKeys)))
    .bind(&viewer.user.id)
    .fetch_all(db.pool())
    .await
}
