//! The crash-and-restart soak: many accounts on a platform that rotates refresh tokens and
//! answers slower than the refresh lease lasts, two `plugboard` processes on one PostgreSQL
//! database, SIGTERMed and SIGKILLed at random moments and restarted, for a bounded time.
//! Afterwards every account holds the token the platform issued last and refreshes with it: no
//! account lost, and no refresh token spent twice unless a kill explains it.
//!
//! Two platforms are modelled. One refuses a used refresh token at once (X, TikTok): a process
//! killed after such a platform rotated a token, but before the answer reached the database,
//! loses that account whatever it does, since the only copy of the new token died with it. That
//! one is soaked with SIGTERM, which must lose nothing. The other keeps a used refresh token
//! valid for a while and answers it with the same successor (Bluesky's PDS, for two hours): that
//! one is soaked with SIGKILL too, and must lose nothing either.
//!
//! `PLUGBOARD_SOAK_SECS` sets how long each soak runs (45 s by default; `./scripts/soak`
//! runs longer ones), and the figures are printed.

mod common;

use common::processes::{exit_within, signal, spawn_plugboard, Killed};
use common::stand_ins::{Family, Reuse, RotatingTokens};
use common::{Backend, TestApp};
use domain::Platform;
use engine::connections::accounts::Sealed;
use engine::keep_alive::refresh::{self, Outcome};
use rand::Rng;
use std::process::Child;
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 60;
const PROCESSES: usize = 2;

fn soak_duration() -> Duration {
    let seconds = std::env::var("PLUGBOARD_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    Duration::from_secs(seconds)
}

/// Processes' settings: a lease shorter than the platform's answers, so only renewing it keeps
/// two processes off one account; tokens that are due again every 30 s.
const PROCESS_SETTINGS: &[(&str, &str)] = &[
    ("PLUGBOARD_REFRESH_INTERVAL_SECS", "1"),
    ("PLUGBOARD_REFRESH_LEASE_SECS", "2"),
    ("PLUGBOARD_REFRESH_CONCURRENCY", "8"),
    ("PLUGBOARD_SHUTDOWN_GRACE_SECS", "15"),
];

#[derive(Debug, Default)]
struct Figures {
    terms: usize,
    kills: usize,
    refreshes: u64,
    lost: Vec<String>,
    reuses_after_a_kill: usize,
    double_spends: Vec<String>,
}

/// Soaks `ACCOUNTS` accounts on a rotating platform that reuses as `reuse` says, killing with
/// SIGKILL too when `sigkill`.
async fn soak(reuse: Reuse, sigkill: bool) -> Figures {
    let platform = RotatingTokens::start().await;
    platform.set_delay(Duration::from_millis(3000));
    platform.set_expires_in(40);
    platform.set_reuse(reuse);
    let (app, owner, _) =
        TestApp::with_token_url(Backend::Postgres, Platform::X, &platform.token_url(), &[]).await;
    // Accounts fall due all through the soak (and again 30 s after each refresh), so kills land
    // on refreshes in flight.
    let mut accounts = Vec::new();
    let spread = soak_duration().as_millis() as i64;
    for n in 0..ACCOUNTS {
        let label = n.to_string();
        let first = platform.grant(&label);
        let id = app.seed_refreshable(&owner, Platform::X, &first).await;
        let due = chrono::Utc::now().timestamp_millis() + spread * n as i64 / ACCOUNTS as i64;
        sqlx::query("UPDATE connected_accounts SET next_refresh_at = $1 WHERE id = $2")
            .bind(due)
            .bind(&id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        accounts.push((label, id));
    }

    let mut processes = Killed(
        (0..PROCESSES)
            .map(|_| spawn_plugboard(&app, PROCESS_SETTINGS))
            .collect(),
    );
    let mut figures = Figures::default();
    let mut kill_times: Vec<Instant> = Vec::new();
    let mut random = rand::thread_rng();
    let until = Instant::now() + soak_duration();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(random.gen_range(1500..4500))).await;
        let victim: &mut Child = &mut processes.0[random.gen_range(0..PROCESSES)];
        if sigkill && random.gen_bool(0.5) {
            signal(victim, "KILL");
            kill_times.push(Instant::now());
            exit_within(victim, Duration::from_secs(5))
                .await
                .expect("SIGKILL ends it");
            figures.kills += 1;
        } else {
            signal(victim, "TERM");
            let status = exit_within(victim, Duration::from_secs(30))
                .await
                .expect("a SIGTERMed process exits within its grace");
            assert!(status.success(), "{status}");
            figures.terms += 1;
        }
        *victim = spawn_plugboard(&app, PROCESS_SETTINGS);
    }
    // Stop everything gently, then see what the database holds.
    for process in &mut processes.0 {
        signal(process, "TERM");
        exit_within(process, Duration::from_secs(30))
            .await
            .expect("exits");
    }
    figures.refreshes = platform.refreshes();

    // Every account still refreshes with what it holds (the platform is quick again now, and
    // the leases of killed processes have lapsed)...
    platform.set_delay(Duration::ZERO);
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (label, id) in &accounts {
        sqlx::query("UPDATE connected_accounts SET next_refresh_at = 0 WHERE id = $1")
            .bind(id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let outcome = refresh::refresh_account(&app.state, id, false)
            .await
            .unwrap();
        if !matches!(outcome, Outcome::Refreshed { .. }) {
            figures.lost.push(format!(
                "account {label}: the last refresh gave {outcome:?}"
            ));
        }
    }
    // ...and then holds the token the platform issued last.
    let families = platform.families();
    for (label, id) in &accounts {
        let family: &Family = &families[label];
        let stored = app.stored_secret(id, Sealed::RefreshToken).await;
        if stored != family.current() {
            figures.lost.push(format!(
                "account {label}: holds {stored}, the platform issued {} last",
                family.current()
            ));
        }
        for reuse in family.reuses() {
            let first = family.first_presented(&reuse.token).expect("presented");
            if kill_times.iter().any(|k| *k >= first && *k <= reuse.at) {
                figures.reuses_after_a_kill += 1;
            } else {
                figures
                    .double_spends
                    .push(format!("account {label}: {} presented twice", reuse.token));
            }
        }
    }
    println!(
        "soak ({reuse:?}, {}): {ACCOUNTS} accounts, {PROCESSES} processes, {:?}: {} SIGTERM, {} SIGKILL, {} refreshes, {} lost, {} double spends, {} reuses after a kill",
        if sigkill { "SIGTERM and SIGKILL" } else { "SIGTERM" },
        soak_duration(),
        figures.terms,
        figures.kills,
        figures.refreshes,
        figures.lost.len(),
        figures.double_spends.len(),
        figures.reuses_after_a_kill,
    );
    figures
}

fn assert_nothing_lost(figures: &Figures) {
    assert!(
        figures.refreshes > ACCOUNTS as u64,
        "the soak did some work"
    );
    assert!(figures.lost.is_empty(), "lost: {:#?}", figures.lost);
    assert!(
        figures.double_spends.is_empty(),
        "double spends: {:#?}",
        figures.double_spends
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_strictly_rotating_platform_loses_nothing_through_sigterms() {
    let figures = soak(Reuse::Refused, false).await;
    assert!(figures.terms > 0);
    assert_eq!(figures.reuses_after_a_kill, 0);
    assert_nothing_lost(&figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_platform_with_a_reuse_grace_loses_nothing_through_sigterms_and_sigkills() {
    let figures = soak(Reuse::Grace(Duration::from_secs(2 * 60 * 60)), true).await;
    assert!(figures.terms + figures.kills > 0);
    assert_nothing_lost(&figures);
}
