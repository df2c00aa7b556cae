//! Sessions live in the database (so several server processes share them), behind tower-sessions.
//!
//! The store keeps only a SHA-256 of each session id: reading the table does not let anyone act as
//! a signed-in user. The signed-in user's id is mirrored into its own column so that deleting a
//! user deletes their sessions.

use async_trait::async_trait;
use engine::storage::db::{to_millis, Db};
use sha2::{Digest, Sha256};
use sqlx::Row;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key under which the signed-in user's id is kept.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_millis(chrono::Utc::now()))
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn expires_at_millis(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn user_id_of(record: &Record) -> Option<String> {
    record
        .data
        .get(USER_ID_KEY)
        .and_then(|value| value.as_str())
        .map(str::to_owned)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        // A 128-bit random id practically never collides; if it does, draw again.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id_hash(&record.id))
            .bind(user_id_of(record))
            .bind(&data)
            .bind(expires_at_millis(record))
            .execute(self.db.pool())
            .await;
            match inserted {
                Ok(_) => return Ok(()),
                Err(err) if engine::storage::db::is_unique_violation(&err) => {
                    record.id = Id::default()
                }
                Err(err) => return Err(backend(err)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO UPDATE
             SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id_hash(&record.id))
        .bind(user_id_of(record))
        .bind(&data)
        .bind(expires_at_millis(record))
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query(
            "SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash(id))
        .bind(to_millis(chrono::Utc::now()))
        .fetch_optional(self.db.pool())
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data: String = row.try_get("data").map_err(backend)?;
        let expires_at: i64 = row.try_get("expires_at").map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(expires_at) * 1_000_000,
            )
            .map_err(|e| session_store::Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
