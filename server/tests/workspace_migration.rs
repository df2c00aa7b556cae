//! Upgrading a database filled by the schema before workspaces: every row lands in its person's
//! personal workspace, on SQLite and PostgreSQL, with nothing lost.

use engine::storage::db::{Backend, Db};
use sandbox::throwaway_postgres::ThrowawayPostgres;

/// The last migration before workspaces.
const BEFORE_WORKSPACES: i64 = 20261201000002;

/// `BLOB(0102)` as each database writes a byte string.
fn with_blobs(backend: Backend, statement: &str) -> String {
    let mut out = String::new();
    let mut rest = statement;
    while let Some(start) = rest.find("BLOB(") {
        let end = start + rest[start..].find(')').unwrap();
        let hex = &rest[start + 5..end];
        out.push_str(&rest[..start]);
        out.push_str(&match backend {
            Backend::Sqlite => format!("X'{hex}'"),
            Backend::Postgres => format!("'\\x{hex}'::bytea"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn run(db: &Db) {
    db.migrate_to(BEFORE_WORKSPACES).await.unwrap();
    // As the previous schema held them: two people, one on the pro plan, with one of everything.
    for statement in [
        "INSERT INTO users (id, email, password_hash, plan_id, created_at, updated_at)
         VALUES ('u1', 'ada@example.com', 'hash', 'pro', 1000, 1000),
                ('u2', 'bob@example.com', 'hash', 'free', 2000, 2000)",
        "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ('s1', 'u1', '{}', 99999999999999)",
        "INSERT INTO connected_accounts (id, owner_id, platform, platform_account_id, username,
             access_token_enc, refresh_token_enc, metadata, created_at, updated_at, token_version)
         VALUES ('a1', 'u1', 'reddit', 'p1', 'ada', BLOB(0102), BLOB(0304), '{}', 1000, 1000, 3),
                ('a2', 'u2', 'x', 'p2', 'bob', NULL, NULL, '{}', 2000, 2000, 0)",
        "INSERT INTO oauth_states (state_hash, owner_id, platform, created_at, expires_at)
         VALUES ('st1', 'u1', 'reddit', 1000, 2000)",
        "INSERT INTO connect_selections (id, owner_id, platform, choices_enc, created_at, expires_at)
         VALUES ('cs1', 'u1', 'facebook', BLOB(05), 1000, 2000)",
        "INSERT INTO webhook_endpoints (id, owner_id, url, secret_enc, created_at)
         VALUES ('w1', 'u1', 'https://hooks.example.com/in', BLOB(06), 1000)",
        "INSERT INTO outbox_events (id, owner_id, kind, payload, created_at)
         VALUES ('e1', 'u1', 'account.connected', '{}', 1000)",
        "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, owner_id, next_attempt_at, created_at)
         VALUES ('d1', 'e1', 'w1', 'u1', 1000, 1000)",
        "INSERT INTO api_keys (id, owner_id, name, prefix, key_hash, created_at)
         VALUES ('k1', 'u1', 'Buffer', 'pb_abc', 'hash1', 1000)",
        "INSERT INTO posts (id, owner_id, text, scheduled_at, created_at, updated_at)
         VALUES ('po1', 'u1', 'hello', 5000, 1000, 1000)",
        "INSERT INTO post_targets (post_id, account_id) VALUES ('po1', 'a1')",
        "INSERT INTO audit_events (id, owner_id, actor, action, created_at)
         VALUES ('au1', 'u1', 'ada@example.com', 'account.connected', 1000)",
    ] {
        let statement = with_blobs(db.backend(), statement);
        sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
            .execute(db.pool())
            .await
            .unwrap_or_else(|err| panic!("{err}: {statement}"));
    }

    db.migrate().await.unwrap();

    let rows = |sql: &'static str| async move {
        let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(db.pool()).await.unwrap();
        rows
    };
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        rows("SELECT id, plan_id FROM workspaces ORDER BY id").await,
        [pair("u1", "pro"), pair("u2", "free")],
        "a personal workspace per person, on their plan"
    );
    assert_eq!(
        rows("SELECT workspace_id, user_id || ':' || role FROM workspace_members ORDER BY workspace_id").await,
        [pair("u1", "u1:owner"), pair("u2", "u2:owner")]
    );
    for (table, expected) in [
        (
            "connected_accounts",
            vec![pair("a1", "u1"), pair("a2", "u2")],
        ),
        ("oauth_states", vec![pair("st1", "u1")]),
        ("connect_selections", vec![pair("cs1", "u1")]),
        ("webhook_endpoints", vec![pair("w1", "u1")]),
        ("outbox_events", vec![pair("e1", "u1")]),
        ("webhook_deliveries", vec![pair("d1", "u1")]),
        ("api_keys", vec![pair("k1", "u1")]),
        ("posts", vec![pair("po1", "u1")]),
        ("audit_events", vec![pair("au1", "u1")]),
    ] {
        let key = if table == "oauth_states" {
            "state_hash"
        } else {
            "id"
        };
        let sql = format!("SELECT {key}, workspace_id FROM {table} ORDER BY {key}");
        let found: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(found, expected, "{table}");
    }
    assert_eq!(
        rows("SELECT id, connected_by FROM connected_accounts ORDER BY id").await,
        [pair("a1", "u1"), pair("a2", "u2")],
        "who connected each account is its old owner"
    );
    assert_eq!(
        rows("SELECT id, created_by FROM api_keys").await,
        [pair("k1", "u1")]
    );
    assert_eq!(
        rows("SELECT state_hash, started_by FROM oauth_states").await,
        [pair("st1", "u1")]
    );
    assert_eq!(
        rows("SELECT post_id, account_id FROM post_targets").await,
        [pair("po1", "a1")],
        "rebuilding a parent table must not cascade into its children"
    );
    assert_eq!(
        rows("SELECT id_hash, user_id FROM sessions").await,
        [pair("s1", "u1")]
    );
    let sealed: (Vec<u8>, Vec<u8>, i64) = sqlx::query_as(
        "SELECT access_token_enc, refresh_token_enc, token_version FROM connected_accounts WHERE id = 'a1'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        sealed,
        (vec![1, 2], vec![3, 4], 3),
        "tokens are kept byte for byte"
    );
    if db.backend() == Backend::Sqlite {
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
        let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(enforced, 1, "foreign keys are back on after the migration");
    }
    // Deleting a workspace now takes its rows with it.
    sqlx::query("DELETE FROM workspaces WHERE id = 'u2'")
        .execute(db.pool())
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connected_accounts")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(left, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_data_moves_into_personal_workspaces() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!(
        "sqlite://{}/old.db?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap();
    run(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_data_moves_into_personal_workspaces() {
    let postgres = ThrowawayPostgres::for_test().await;
    let db = Db::connect(&postgres.url).await.unwrap();
    run(&db).await;
}
