//! One connection pool over SQLite or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Queries are written once, with `$1` placeholders (both drivers accept them). Times are stored as
//! Unix milliseconds and flags as integers, the types both databases share through sqlx's `Any`.

use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Transaction};
use std::sync::Once;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

pub type Tx = Transaction<'static, Any>;

impl Db {
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let backend = Backend::of_url(url).ok_or_else(|| {
            sqlx::Error::Configuration("DATABASE_URL must be sqlite:// or postgres://".into())
        })?;
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                // WAL lets readers run beside the one writer; more connections only queue.
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(url).await?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        Ok(Db { pool, backend })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await,
        }
    }

    /// Applies the migrations up to and including `version` only: to fill a database the way an
    /// older Plugboard left it, and check that upgrading it loses nothing.
    pub async fn migrate_to(&self, version: i64) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run_to(version, &self.pool).await,
            Backend::Postgres => POSTGRES_MIGRATIONS.run_to(version, &self.pool).await,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// A transaction that will write. On SQLite it takes the write lock up front, so two writers
    /// queue on the busy timeout instead of one failing when it upgrades a read lock.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub use domain::columns::from_millis;

/// A flag as stored (read back with [`domain::columns::Flag`]).
pub fn flag(value: bool) -> i32 {
    i32::from(value)
}

/// Runs a write that must not be lost (rotated tokens the platform has already issued): retried
/// through transient database errors (a lost connection, a busy pool or file, a serialization
/// conflict) for about half a minute. `build` makes the statement afresh for each attempt.
pub async fn execute_persistently<'q, F>(
    pool: &sqlx::AnyPool,
    build: F,
) -> Result<sqlx::any::AnyQueryResult, sqlx::Error>
where
    F: Fn() -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
{
    use backon::{ExponentialBuilder, Retryable};
    (|| async { build().execute(pool).await })
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(5))
                .with_max_times(10)
                .with_jitter(),
        )
        .when(is_transient)
        .notify(|err, wait| {
            tracing::warn!(error = %err, retry_in_ms = wait.as_millis() as u64, "a write that must not be lost failed; retrying");
        })
        .await
}

/// Errors that may pass if the same statement is tried again.
pub fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: serialization failure, deadlock, admin shutdown; SQLite: busy, locked.
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("40001" | "40P01" | "57P01" | "5" | "6" | "517")
        ),
        _ => false,
    }
}

/// Whether an error is a unique-constraint violation (a duplicate email, a concurrent insert).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let now = Utc::now();
        assert_eq!(
            from_millis(to_millis(now)).timestamp_millis(),
            now.timestamp_millis()
        );
    }

    #[test]
    fn backend_is_read_from_the_url_scheme() {
        assert_eq!(Backend::of_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }
}
