//! `plugboard dev bench-refresh`: how fast the refresh worker gets through due accounts when the
//! platform answers each refresh in a fixed time, against the bound its concurrency sets.

use domain::Platform;
use engine::platforms::catalog::{env_prefix, sandbox_url, spec, SANDBOX_CLIENT_SECRET};
use engine::storage::crypto::SecretKey;
use engine::{AppState, Config};
use sandbox::seed::seed_accounts;
use sandbox::throwaway_postgres::ThrowawayPostgres;
use sandbox::Sandbox;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The platform the benchmark refreshes: a plain `refresh_token` grant with HTTP Basic auth.
const PLATFORM: Platform = Platform::Reddit;

pub struct Options {
    pub accounts: usize,
    pub latency: Duration,
    pub concurrency: usize,
    /// A PostgreSQL server to run on (a throwaway database is created there), else SQLite.
    pub postgres: Option<String>,
}

pub async fn bench_refresh(options: Options) -> anyhow::Result<()> {
    // The benchmark never goes through a consent screen: no redirect is ever compared.
    let sandbox = Sandbox::new(
        rand::random(),
        url::Url::parse("http://localhost/").expect("a URL"),
    );
    sandbox.set_latency(Some(options.latency));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = url::Url::parse(&format!("http://{}", listener.local_addr()?))?;
    let router =
        axum::Router::new().nest(engine::platforms::catalog::SANDBOX_PREFIX, sandbox.router());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let data_dir = std::env::temp_dir().join(format!("plugboard-bench-{}", std::process::id()));
    let postgres = match &options.postgres {
        Some(admin) => Some(ThrowawayPostgres::create(admin, "plugboard_bench").await?),
        None => None,
    };
    let database_url = match &postgres {
        Some(database) => database.url.clone(),
        None => format!("sqlite://{}/bench.db", data_dir.display()),
    };
    let env = env_prefix(PLATFORM);
    let spec = spec(PLATFORM);
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url),
        ("PLUGBOARD_DATA_DIR".into(), data_dir.display().to_string()),
        (
            "PLUGBOARD_SECRET_KEY".into(),
            SecretKey::generate().to_base64(),
        ),
        ("PLUGBOARD_PROVIDER_TIMEOUT_MS".into(), "30000".into()),
        (
            format!("{env}_CLIENT_ID"),
            format!("sandbox-{}", PLATFORM.slug()),
        ),
        (format!("{env}_CLIENT_SECRET"), SANDBOX_CLIENT_SECRET.into()),
        (
            format!("{env}_API_URL"),
            sandbox_url(&base, PLATFORM, &spec.api_url),
        ),
    ]);
    for (name, url) in [
        ("AUTH_URL", &spec.authorize_url),
        ("TOKEN_URL", &spec.token_url),
    ] {
        if let Some(url) = url {
            vars.insert(format!("{env}_{name}"), sandbox_url(&base, PLATFORM, url));
        }
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned())?;
    // The throwaway database and directory go whatever happens.
    let result = run(config, &sandbox, &options).await;
    drop(postgres);
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

async fn run(config: Config, sandbox: &Sandbox, options: &Options) -> anyhow::Result<()> {
    let app = AppState::open(config).await?;
    let user = engine::identity::users::sign_up(
        &app.db,
        "bench@example.com",
        "violet tractor humming seaside",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let workspace = engine::identity::workspaces::member(&app.db, user, None)
        .await?
        .workspace
        .id;
    engine::connections::plans::set_for_workspace(&app.db, &workspace, "business").await?;
    println!(
        "Seeding {} due {} accounts ({})...",
        options.accounts,
        PLATFORM,
        app.db.backend_name()
    );
    let due = chrono::Utc::now() - chrono::Duration::seconds(1);
    seed_accounts(&app, sandbox, &workspace, PLATFORM, options.accounts, due).await?;

    let started = Instant::now();
    let stats = crate::worker::refresh_pass(&app, options.concurrency).await?;
    let elapsed = started.elapsed();

    let throughput = stats.refreshed as f64 / elapsed.as_secs_f64();
    let bound = options.concurrency as f64 / options.latency.as_secs_f64();
    println!(
        "Refreshed {} of {} accounts in {:.2} s ({} transient, {} terminal) with concurrency {} against a token endpoint answering in {} ms",
        stats.refreshed,
        options.accounts,
        elapsed.as_secs_f64(),
        stats.transient,
        stats.terminal,
        options.concurrency,
        options.latency.as_millis()
    );
    println!(
        "Throughput {throughput:.0} refreshes/s; the bound set by concurrency is {bound:.0}/s (concurrency / latency): {:.2} of it",
        throughput / bound
    );
    app.db.close().await;
    Ok(())
}
