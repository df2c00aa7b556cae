//! What each command line verb does.

use crate::cli::{Command, DevCommand, PlanCommand, UserCommand, WorkspaceCommand};
use anyhow::{anyhow, bail, Context};
use axum::serve::ListenerExt;
use engine::config::LogFormat;
use engine::{AppState, Config};
use std::future::IntoFuture;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// The command line's own name in the audit trail.
const COMMAND_LINE: &str = "Command line";

async fn workspace(command: WorkspaceCommand, config: Config) -> anyhow::Result<()> {
    use engine::identity::workspaces;
    let state = AppState::open(config).await?;
    match command {
        WorkspaceCommand::List => {
            println!(
                "{:<36}  {:<10} {:>6} {:>8}  name",
                "id", "plan", "people", "accounts"
            );
            for listed in workspaces::list_all(&state.db).await? {
                println!(
                    "{:<36}  {:<10} {:>6} {:>8}  {}",
                    listed.id, listed.plan_id, listed.people, listed.accounts, listed.name
                );
            }
        }
        WorkspaceCommand::Create { name, owner } => {
            let created = workspaces::create_for_email(&state.db, &name, &owner).await?;
            println!(
                "Created {} ({}), owned by {owner}.",
                created.name, created.id
            );
        }
        WorkspaceCommand::Add {
            workspace,
            email,
            role,
        } => {
            let id = workspaces::resolve(&state.db, &workspace).await?;
            workspaces::add(&state.db, &id, &email, role, COMMAND_LINE).await?;
            println!(
                "Added {email} to {workspace} as {}.",
                role.label().to_lowercase()
            );
        }
    }
    Ok(())
}

pub fn init_logging(config: &Config) -> Result<(), String> {
    let filter =
        EnvFilter::try_new(&config.log_filter).map_err(|e| format!("PLUGBOARD_LOG: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

pub async fn run(command: Option<Command>, config: Config) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve { sandbox: false }) {
        Command::Serve { .. } => serve(config).await,
        Command::Migrate => {
            AppState::open(config).await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::User(UserCommand::Create { email }) => {
            let state = AppState::open(config).await?;
            let password = read_password()?;
            let user = engine::identity::users::sign_up(&state.db, &email, &password)
                .await
                .map_err(|err| anyhow!("{err}"))?;
            println!(
                "Created {}, with a personal workspace on the free plan.",
                user.email
            );
            Ok(())
        }
        Command::Workspace(command) => workspace(command, config).await,
        Command::Plan(PlanCommand::Set { workspace, plan }) => {
            let state = AppState::open(config).await?;
            engine::connections::plans::set_for_workspace(&state.db, &workspace, &plan).await?;
            println!("{workspace} is now on the {plan} plan.");
            Ok(())
        }
        Command::Plan(PlanCommand::List) => {
            let state = AppState::open(config).await?;
            for plan in engine::connections::plans::list(&state.db).await? {
                let total = plan
                    .limits
                    .total
                    .map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
                println!("{:<10} {:<10} accounts: {total}", plan.id, plan.name);
                for (platform, limit) in &plan.limits.per_platform {
                    println!("{:<21} {platform}: {limit}", "");
                }
            }
            Ok(())
        }
        Command::Dev(DevCommand::SeedDemo { email, accounts }) => {
            let state = AppState::open(config).await?;
            let (user, workspace) = user_by_email(&state, &email).await?;
            let ids =
                engine::connections::demo::seed(&state.db, &state.secrets, &workspace, accounts)
                    .await?;
            println!("Added {} demo accounts to {}.", ids.len(), user.email);
            Ok(())
        }
        #[cfg(feature = "sandbox")]
        Command::Dev(DevCommand::SeedSandbox {
            email,
            accounts,
            platform,
        }) => {
            let state = AppState::open(config).await?;
            let (user, workspace) = user_by_email(&state, &email).await?;
            let platform = platform
                .parse::<domain::Platform>()
                .map_err(|e| anyhow!("{e}"))?;
            let sandbox = sandbox::Sandbox::new(
                state.secrets.derive_key("sandbox"),
                state.config.base_url.clone(),
            );
            let next = chrono::Utc::now() + chrono::Duration::minutes(45);
            sandbox::seed::seed_accounts(&state, &sandbox, &workspace, platform, accounts, next)
                .await?;
            println!(
                "Added {accounts} sandbox {platform} accounts to {}.",
                user.email
            );
            Ok(())
        }
        #[cfg(feature = "sandbox")]
        Command::Dev(DevCommand::BenchRefresh {
            accounts,
            latency_ms,
            concurrency,
            postgres,
        }) => {
            crate::bench::bench_refresh(crate::bench::Options {
                accounts,
                latency: Duration::from_millis(latency_ms),
                concurrency,
                postgres,
            })
            .await
        }
        Command::Dev(DevCommand::ExpireTokens { email, platform }) => {
            let state = AppState::open(config).await?;
            let (user, workspace) = user_by_email(&state, &email).await?;
            let platform = platform
                .map(|slug| slug.parse::<domain::Platform>())
                .transpose()
                .map_err(|e| anyhow!("{e}"))?;
            let count =
                engine::connections::accounts::expire_now(&state.db, &workspace, platform).await?;
            println!("{count} token(s) of {} expire now; the refresh worker picks up the refreshable ones.", user.email);
            Ok(())
        }
    }
}

/// A person, by email, and the id of their first (personal) workspace, which the dev commands
/// fill.
async fn user_by_email(
    state: &AppState,
    email: &str,
) -> anyhow::Result<(engine::identity::users::User, String)> {
    let user = engine::identity::users::find_by_email(&state.db, &email.trim().to_lowercase())
        .await?
        .ok_or_else(|| anyhow!("no user with email {email}"))?;
    let member = engine::identity::workspaces::member(&state.db, user, None).await?;
    let workspace_id = member.workspace.id.clone();
    Ok((member.user, workspace_id))
}

/// Reads one line: from the terminal without echo, or from a pipe as is.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        eprint!("Password: ");
        std::io::stderr().flush().ok();
        rpassword::read_password().context("reading the password")?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        bail!("no password given on standard input");
    }
    Ok(password)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.sandbox && !cfg!(feature = "sandbox") {
        bail!("this build of Plugboard has no sandbox (it was built without the `sandbox` feature): configure the platforms' credentials instead of --sandbox");
    }
    let listen_addr = config.listen_addr;
    let state = AppState::open(config).await?;
    let leptos_options = crate::web::leptos_options(listen_addr);
    let router = crate::web::router(state.clone(), leptos_options);
    let listener = tokio::net::TcpListener::bind(listen_addr)
        .await
        .with_context(|| format!("PLUGBOARD_LISTEN_ADDR: cannot listen on {listen_addr}"))?
        // Without this, a response written in two parts waits on the client's delayed ACK (~40 ms).
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    tracing::info!(
        address = %listen_addr,
        url = %state.config.base_url,
        database = %state.db.backend_name(),
        sandbox = state.config.sandbox,
        "Plugboard is listening"
    );
    if state.config.sandbox {
        tracing::warn!("sandbox mode: platforms without credentials are answered by built-in stand-ins at /sandbox");
    }
    crate::web::metrics::install();
    spawn_housekeeping(&state);
    engine::events::changes::listen(&state);
    if state.config.workers {
        crate::worker::spawn(&state);
    }
    let lifecycle = state.lifecycle.clone();
    let mut serving = tokio::spawn(
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { lifecycle.stopping().await })
        .into_future(),
    );
    tokio::select! {
        served = &mut serving => {
            served.context("the HTTP server stopped")?.context("serving HTTP")?;
        }
        () = shutdown_signal() => {}
    }
    drain(&state, serving).await;
    state.db.close().await;
    tracing::info!("Plugboard stopped");
    Ok(())
}

/// Stops taking work and lets what is in flight (requests, refreshes, health checks, webhook
/// deliveries) finish and store, for at most `PLUGBOARD_SHUTDOWN_GRACE_SECS`. What is still
/// running then is abandoned: its leases lapse and another process picks the work up.
async fn drain(state: &AppState, serving: tokio::task::JoinHandle<std::io::Result<()>>) {
    let grace = state.config.shutdown_grace;
    tracing::info!(
        grace_secs = grace.as_secs(),
        in_flight = state.lifecycle.in_flight(),
        "shutting down: no new work; finishing what is in flight"
    );
    state.lifecycle.stop();
    let finished = tokio::time::timeout(grace, async {
        if let Ok(Err(err)) = serving.await {
            tracing::warn!(error = %err, "the HTTP server failed while shutting down");
        }
        state.lifecycle.drained().await;
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            abandoned = state.lifecycle.in_flight(),
            "the shutdown grace ran out; work still in flight is left to other processes"
        );
    }
}

/// Deletes expired sessions, old sign-in records, OAuth states and account choices every hour.
fn spawn_housekeeping(state: &AppState) {
    let app = state.clone();
    state.lifecycle.spawn("housekeeping", async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(60 * 60));
        loop {
            tokio::select! {
                _ = every_hour.tick() => housekeeping(&app).await,
                () = app.lifecycle.stopping() => return,
            }
        }
    });
}

async fn housekeeping(state: &AppState) {
    let store = crate::web::sessions::DbSessionStore::new(state.db.clone());
    if let Err(err) = store.delete_expired().await {
        tracing::warn!(error = %err, "deleting expired sessions failed");
    }
    if let Err(err) =
        engine::identity::sign_in_throttle::delete_old(&state.db, chrono::Utc::now()).await
    {
        tracing::warn!(error = %err, "deleting old sign-in and sign-up records failed");
    }
    let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
    if let Err(err) = engine::connections::oauth_state::delete_older_than(&state.db, day_ago).await
    {
        tracing::warn!(error = %err, "deleting old OAuth states failed");
    }
    if let Err(err) = engine::connections::connect::delete_expired_selections(state).await {
        tracing::warn!(error = %err, "deleting expired account choices failed");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
