//! Real `plugboard serve` processes on a test app's database and key, for what only a process
//! shows: two processes sharing the work, signals, crashes and restarts.

use super::TestApp;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A `plugboard serve` on the test app's database and key, with extra settings.
pub fn spawn_plugboard(app: &TestApp, extra: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_plugboard"))
        .arg("serve")
        .env_clear()
        .envs(app.settings.iter())
        .env("PLUGBOARD_LISTEN_ADDR", "127.0.0.1:0")
        .env("PLUGBOARD_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plugboard")
}

/// Processes killed (SIGKILL) when the test ends, however it ends.
pub struct Killed(pub Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends a signal (`"TERM"`, `"INT"`, `"KILL"`) to a process.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {}", child.id());
}

/// Waits for a process to exit, at most `limit`.
pub async fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("wait for plugboard") {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

pub async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
