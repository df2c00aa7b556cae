//! The process's background work: tracked so that a shutdown lets it finish and store, and
//! isolated so that one unit of work that panics fails alone instead of taking its loop down.

use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Whether the process is still taking work, and the work it must let finish before exiting.
#[derive(Debug, Default)]
pub struct Lifecycle {
    stop: CancellationToken,
    tasks: TaskTracker,
}

/// A unit of work panicked; the panic was logged and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panicked;

impl Lifecycle {
    pub fn new() -> Lifecycle {
        Lifecycle::default()
    }

    /// From now on no new work starts; what is in flight goes on until it is done.
    pub fn stop(&self) {
        self.stop.cancel();
        self.tasks.close();
    }

    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Resolves when [`Lifecycle::stop`] is called.
    pub async fn stopping(&self) {
        self.stop.cancelled().await
    }

    /// Runs `work` in the background, tracked (a shutdown waits for it) and isolated. Refused,
    /// returning `false`, once the process is stopping.
    pub fn spawn<F>(&self, name: &'static str, work: F) -> bool
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if self.is_stopping() {
            return false;
        }
        self.tasks.spawn(async move {
            let _ = isolated(name, work).await;
        });
        true
    }

    /// Waits until every tracked task has finished (call [`Lifecycle::stop`] first).
    pub async fn drained(&self) {
        self.tasks.wait().await
    }

    /// How many tracked tasks are still running.
    pub fn in_flight(&self) -> usize {
        self.tasks.len()
    }
}

/// Runs `work`, turning a panic into [`Panicked`] (logged, and counted in
/// `plugboard_panics_total{work=...}`) so the caller's loop and bookkeeping carry on.
pub async fn isolated<F: Future>(name: &'static str, work: F) -> Result<F::Output, Panicked> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(output) => Ok(output),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            tracing::error!(work = name, panic = %message, "a unit of background work panicked; it alone failed");
            metrics::counter!("plugboard_panics_total", "work" => name).increment(1);
            Err(Panicked)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_panic_is_contained_and_reported() {
        assert_eq!(isolated("test", async { 7 }).await, Ok(7));
        let result = isolated("test", async {
            if true {
                panic!("boom");
            }
        })
        .await;
        assert_eq!(result, Err(Panicked));
    }

    #[tokio::test]
    async fn stopping_refuses_new_work_and_waits_for_the_old() {
        let life = Lifecycle::new();
        let done = Arc::new(AtomicUsize::new(0));
        let counter = done.clone();
        assert!(life.spawn("test", async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        life.spawn("test", async { panic!("isolated") });
        life.stop();
        assert!(life.is_stopping());
        assert!(!life.spawn("test", async {}), "no new work once stopping");
        life.drained().await;
        assert_eq!(done.load(Ordering::SeqCst), 1, "work in flight finished");
        assert_eq!(life.in_flight(), 0);
    }
}
