//! The process's registry of health checks: which owners are being checked (so a page shows
//! "checking" and a second check does not start), the concurrency limit, and TikTok's
//! per-minute creator_info budget. Held by `AppState`, used by `health`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Semaphore;

/// TikTok allows 20 creator_info calls a minute per token; Plugboard stays well under.
const CREATOR_INFO_PER_MINUTE: usize = 20;

/// The process's health checks: who is being checked, and the limits.
#[derive(Debug)]
pub struct HealthChecks {
    in_flight: Mutex<HashSet<String>>,
    permits: Arc<Semaphore>,
    creator_info_calls: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl HealthChecks {
    pub fn new(concurrency: usize) -> HealthChecks {
        HealthChecks {
            in_flight: Mutex::new(HashSet::new()),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            creator_info_calls: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn permits(&self) -> Arc<Semaphore> {
        self.permits.clone()
    }

    pub fn is_checking(&self, workspace_id: &str) -> bool {
        self.in_flight
            .lock()
            .expect("health lock")
            .contains(workspace_id)
    }

    /// Whether one more creator_info call for this account fits TikTok's per-minute limit.
    pub(crate) fn creator_info_allowed(&self, account_id: &str) -> bool {
        let mut calls = self.creator_info_calls.lock().expect("health lock");
        let now = Instant::now();
        // Forget accounts with no call in the last minute, so the map stays as small as the
        // accounts checked lately.
        calls.retain(|_, window| {
            window.retain(|t| now.duration_since(*t).as_secs() < 60);
            !window.is_empty()
        });
        let window = calls.entry(account_id.to_owned()).or_default();
        if window.len() >= CREATOR_INFO_PER_MINUTE {
            return false;
        }
        window.push_back(now);
        true
    }
}

/// Marks an owner as being checked for as long as it lives: dropped when the check ends, however
/// it ends (finished, failed, panicked), so the page never shows "checking" forever.
pub(super) struct Checking {
    checks: Arc<HealthChecks>,
    pub(super) workspace_id: String,
}

impl HealthChecks {
    /// Marks the owner as being checked; `None` if a check of theirs is already running.
    pub(super) fn begin(self: &Arc<Self>, workspace_id: &str) -> Option<Checking> {
        let newly = self
            .in_flight
            .lock()
            .expect("health lock")
            .insert(workspace_id.to_owned());
        newly.then(|| Checking {
            checks: self.clone(),
            workspace_id: workspace_id.to_owned(),
        })
    }
}

impl Drop for Checking {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.checks.in_flight.lock() {
            in_flight.remove(&self.workspace_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_check_that_panics_is_no_longer_checking() {
        let checks = Arc::new(HealthChecks::new(1));
        let checking = checks.begin("ada").expect("not checking yet");
        assert!(checks.is_checking("ada"));
        assert!(checks.begin("ada").is_none(), "one check at a time");
        let died = tokio::spawn(async move {
            let _checking = checking;
            panic!("a check that dies");
        })
        .await;
        assert!(died.is_err());
        assert!(!checks.is_checking("ada"), "the page does not wait forever");
    }

    #[test]
    fn creator_info_calls_stay_within_tiktoks_limit() {
        let checks = HealthChecks::new(1);
        for _ in 0..CREATOR_INFO_PER_MINUTE {
            assert!(checks.creator_info_allowed("a"));
        }
        assert!(!checks.creator_info_allowed("a"));
        assert!(checks.creator_info_allowed("b"));
    }
}
