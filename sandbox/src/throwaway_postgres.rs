//! A throwaway PostgreSQL database: created on a server for one test or one benchmark run, and
//! dropped (with any connection still open to it) when it goes out of scope.

use anyhow::Context;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the tests find PostgreSQL unless `PLUGBOARD_TEST_POSTGRES_URL` says otherwise.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct ThrowawayPostgres {
    admin_url: String,
    name: String,
    /// The database's own URL, for `DATABASE_URL`.
    pub url: String,
}

impl ThrowawayPostgres {
    /// A new database named `<prefix>_<unique>` on the server `admin_url` connects to.
    pub async fn create(admin_url: &str, prefix: &str) -> anyhow::Result<ThrowawayPostgres> {
        let name = format!("{prefix}_{}", unique_suffix());
        sqlx::any::install_default_drivers();
        let mut admin = AnyConnection::connect(admin_url)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .context("creating a throwaway database")?;
        let server = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Ok(ThrowawayPostgres {
            url: format!("{server}/{name}"),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// For a test: on `PLUGBOARD_TEST_POSTGRES_URL` or the local default, and a clear panic
    /// when PostgreSQL is not running.
    pub async fn for_test() -> ThrowawayPostgres {
        let admin_url = std::env::var("PLUGBOARD_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        ThrowawayPostgres::create(&admin_url, "plugboard_test")
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must be running for these tests: {e:#}"))
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Dropping may happen outside any runtime (or inside one that is shutting down): on a
        // thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = AnyConnection::connect(&admin_url).await {
                    let _ = sqlx::query(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

/// Unique across processes and within one: time, process id and a counter.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}_{:x}_{n}", std::process::id())
}
