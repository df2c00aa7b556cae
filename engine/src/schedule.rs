//! When to refresh, and how long to wait after a failure.

use chrono::{DateTime, Duration, Utc};

/// How far ahead of expiry a long-lived token is refreshed ("expires within 7 days").
pub const LONG_LIVED_LEAD: Duration = Duration::days(7);
/// Short-lived tokens are refreshed when a quarter of their life is left, but never closer than this.
pub const MIN_LEAD: Duration = Duration::minutes(5);
/// How long a process holds an account (or a webhook delivery) for one attempt: twice the
/// longest call plus a margin, so a crashed process's work is picked up soon after.
pub fn lease_for(call_timeout: std::time::Duration) -> Duration {
    Duration::from_std(call_timeout * 2).unwrap_or(Duration::minutes(1)) + Duration::seconds(5)
}

/// When a token that was issued at `issued_at` and expires at `expires_at` should be refreshed:
/// a quarter of its life ahead (an hour-long token 15 minutes early), at least five minutes ahead,
/// and at most seven days ahead (a 60-day token one week early).
pub fn refresh_due_at(issued_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> DateTime<Utc> {
    let lifetime = (expires_at - issued_at).max(Duration::zero());
    let lead = (lifetime / 4).clamp(MIN_LEAD, LONG_LIVED_LEAD);
    expires_at - lead
}

/// Exponential backoff with jitter: `base`, doubled per consecutive failure, capped, then spread
/// by ±20% (`jitter` in 0..1) so that accounts failing together do not retry together.
pub fn backoff(failures: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let raw = base
        .num_milliseconds()
        .saturating_mul(1i64 << exponent.min(20));
    let capped = raw.min(cap.num_milliseconds());
    let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    Duration::milliseconds((capped as f64 * spread) as i64)
}

/// The wait before refreshing again after `failures` transient failures in a row.
pub fn refresh_retry_delay(failures: u32) -> Duration {
    backoff(
        failures,
        Duration::minutes(1),
        Duration::hours(6),
        rand::random(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(hours)
    }

    #[test]
    fn an_hour_long_token_is_refreshed_fifteen_minutes_early() {
        assert_eq!(refresh_due_at(at(0), at(1)), at(1) - Duration::minutes(15));
    }

    #[test]
    fn a_sixty_day_token_is_refreshed_a_week_early() {
        assert_eq!(
            refresh_due_at(at(0), at(24 * 60)),
            at(24 * 60) - Duration::days(7)
        );
    }

    #[test]
    fn very_short_tokens_still_get_five_minutes() {
        let issued = at(0);
        let expires = issued + Duration::minutes(8);
        assert_eq!(
            refresh_due_at(issued, expires),
            expires - Duration::minutes(5)
        );
    }

    #[test]
    fn an_already_expired_token_is_due_at_once() {
        assert!(refresh_due_at(at(0), at(-1)) < at(0));
    }

    #[test]
    fn leases_outlast_two_calls() {
        assert_eq!(
            lease_for(std::time::Duration::from_secs(10)),
            Duration::seconds(25)
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::minutes(1);
        let cap = Duration::hours(6);
        let mid = 0.5; // no spread
        assert_eq!(backoff(1, base, cap, mid), Duration::minutes(1));
        assert_eq!(backoff(2, base, cap, mid), Duration::minutes(2));
        assert_eq!(backoff(5, base, cap, mid), Duration::minutes(16));
        assert_eq!(backoff(30, base, cap, mid), cap);
        assert_eq!(backoff(u32::MAX, base, cap, mid), cap);
    }

    #[test]
    fn jitter_spreads_by_a_fifth_either_way() {
        let base = Duration::minutes(10);
        let cap = Duration::hours(6);
        assert_eq!(backoff(1, base, cap, 0.0), Duration::minutes(8));
        assert_eq!(backoff(1, base, cap, 1.0), Duration::minutes(12));
        let random = refresh_retry_delay(3);
        assert!(
            random >= Duration::seconds(192) && random <= Duration::seconds(288),
            "{random}"
        );
    }
}
