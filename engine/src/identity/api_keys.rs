//! Personal API keys for the publishing tools: shown once when created, stored only as a
//! SHA-256 hash, scoped to their owner, revocable.

use crate::events::audit::{self, Subject};
use crate::storage::db::{from_millis, new_id, to_millis, Db};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use domain::ApiKeyView;
use domain::AuditAction;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::Row;

const KEY_PREFIX: &str = "pb_";
/// How much of a key is kept in the clear to tell keys apart in lists.
const SHOWN_CHARACTERS: usize = 10;
pub const MAX_KEYS_PER_OWNER: i64 = 25;
/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("Give the key a name (1 to 80 characters), like the tool that will use it.")]
    InvalidName,
    #[error("You have as many API keys as Plugboard allows. Revoke one first.")]
    TooMany,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Creates a key; returns its id and the key itself, which is never shown again.
pub async fn create(
    db: &Db,
    owner_id: &str,
    actor: &str,
    name: &str,
) -> Result<(String, SecretString), KeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(KeyError::InvalidName);
    }
    let mut tx = db.begin_write().await?;
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE owner_id = $1 AND revoked_at IS NULL",
    )
    .bind(owner_id)
    .fetch_one(&mut *tx)
    .await?;
    if active >= MAX_KEYS_PER_OWNER {
        return Err(KeyError::TooMany);
    }
    let key = format!(
        "{KEY_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let id = new_id();
    sqlx::query(
        "INSERT INTO api_keys (id, owner_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(owner_id)
    .bind(name)
    .bind(&key[..SHOWN_CHARACTERS])
    .bind(hash(&key))
    .bind(to_millis(Utc::now()))
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        owner_id,
        actor,
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

/// Revokes one of the owner's keys. `false` if it is not theirs (or already revoked).
pub async fn revoke(db: &Db, owner_id: &str, actor: &str, id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND owner_id = $3 AND revoked_at IS NULL RETURNING name",
    )
    .bind(to_millis(Utc::now()))
    .bind(id)
    .bind(owner_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else {
        return Ok(false);
    };
    audit::record(
        &mut tx,
        owner_id,
        actor,
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

/// The owner a presented key belongs to, with the key's name, if the key is valid.
pub async fn authenticate(
    db: &Db,
    presented: &SecretString,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let key = presented.expose_secret();
    if !key.starts_with(KEY_PREFIX) || key.len() > 100 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT id, owner_id, name, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(hash(key))
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now = Utc::now();
    let last_used = row
        .try_get::<Option<i64>, _>("last_used_at")?
        .map(from_millis);
    if last_used.is_none_or(|at| now - at > LAST_USED_GRANULARITY) {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(row.try_get::<String, _>("id")?)
            .execute(db.pool())
            .await?;
    }
    Ok(Some((row.try_get("owner_id")?, row.try_get("name")?)))
}

pub async fn list(db: &Db, owner_id: &str) -> Result<Vec<ApiKeyView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, prefix, created_at, last_used_at FROM api_keys
         WHERE owner_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
    )
    .bind(owner_id)
    .fetch_all(db.pool())
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_not_kept() {
        let key = "pb_abc";
        assert_eq!(hash(key).len(), 64);
        assert_ne!(hash(key), key);
        assert_ne!(hash("pb_abc"), hash("pb_abd"));
    }
}
