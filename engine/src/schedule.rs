//! Time arithmetic on what platforms say: how long a token lives (never trusted outside a sane
//! range), when to refresh it, and how long to wait after a failure. Every platform number that
//! becomes a time goes through here, with checked arithmetic: no answer can panic or loop.

use chrono::{DateTime, Duration, Utc};

/// How far ahead of expiry a long-lived token is refreshed at most ("expires within 7 days").
pub const LONG_LIVED_LEAD: Duration = Duration::days(7);
/// Two refreshes of one account are never closer than this, whatever the token's life.
pub const MIN_SPACING: Duration = Duration::seconds(30);
/// The longest lifetime a platform is believed about (a "never" dressed up as a number is not).
pub const MAX_LIFETIME: Duration = Duration::days(3650);
/// What an access token that a platform describes absurdly is assumed to live, when the
/// platform's description names no default: short enough that a refresh is soon tried.
pub const FALLBACK_LIFETIME: Duration = Duration::hours(1);

/// A lifetime as a platform stated it, before it is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stated {
    /// The platform said nothing (the field is missing or null).
    Absent,
    Seconds(i64),
    /// Something that is not a whole number of seconds (a string of letters, an object, 1e300).
    Unreadable,
}

impl Stated {
    /// Reads a JSON value as seconds: a number, or a string holding one.
    pub fn from_json(value: Option<&serde_json::Value>) -> Stated {
        use serde_json::Value;
        match value {
            None | Some(Value::Null) => Stated::Absent,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(seconds) => Stated::Seconds(seconds),
                None => Stated::Unreadable,
            },
            Some(Value::String(s)) => s.trim().parse().map_or(Stated::Unreadable, Stated::Seconds),
            Some(_) => Stated::Unreadable,
        }
    }

    /// The seconds from `now` to an absolute Unix time (a JWT's `exp`).
    pub fn until(exp: Stated, now: DateTime<Utc>) -> Stated {
        match exp {
            Stated::Seconds(exp) => exp
                .checked_sub(now.timestamp())
                .map_or(Stated::Unreadable, Stated::Seconds),
            other => other,
        }
    }

    /// The stated lifetime, if it is within the sane range.
    fn believable(self) -> Option<Duration> {
        match self {
            Stated::Seconds(seconds) if seconds > 0 => {
                Duration::try_seconds(seconds).filter(|lifetime| *lifetime <= MAX_LIFETIME)
            }
            _ => None,
        }
    }
}

/// How long an access token lives (`None`: it does not expire, which is what a platform means
/// by saying nothing). An absurd lifetime (zero, negative, beyond [`MAX_LIFETIME`], unreadable)
/// is replaced by `default`, the platform's usual lifetime from its description, or by
/// [`FALLBACK_LIFETIME`]: never by "does not expire", which would stop the refreshes.
pub fn access_lifetime(stated: Stated, default: Option<Duration>) -> Option<Duration> {
    match stated {
        Stated::Absent => None,
        other => Some(
            other
                .believable()
                .unwrap_or(default.unwrap_or(FALLBACK_LIFETIME)),
        ),
    }
}

/// How long a refresh token lives, when the platform says so believably (`None`: unknown).
pub fn refresh_lifetime(stated: Stated) -> Option<Duration> {
    stated.believable()
}

/// `at + lifetime`, saturating instead of overflowing.
pub fn after(at: DateTime<Utc>, lifetime: Duration) -> DateTime<Utc> {
    at.checked_add_signed(lifetime)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// How long a process holds an account (or a webhook delivery) for one attempt: twice the
/// longest call plus a margin, so a crashed process's work is picked up soon after.
pub fn lease_for(call_timeout: std::time::Duration) -> Duration {
    Duration::from_std(call_timeout * 2).unwrap_or(Duration::minutes(1)) + Duration::seconds(5)
}

/// When a token issued at `issued_at` that expires at `expires_at` should be refreshed: when a
/// quarter of its life is left (an hour-long token 15 minutes early, a one-minute token after 45
/// seconds), at most seven days early (a 60-day token one week early), and never sooner than
/// [`MIN_SPACING`] after it was issued, so even an absurdly short token cannot start a storm.
pub fn refresh_due_at(issued_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> DateTime<Utc> {
    let lifetime = (expires_at - issued_at).max(Duration::zero());
    let lead = (lifetime / 4).min(LONG_LIVED_LEAD);
    let due = expires_at.checked_sub_signed(lead).unwrap_or(expires_at);
    due.max(after(issued_at, MIN_SPACING))
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

/// The wait before refreshing again after `failures` transient failures in a row; never shorter
/// than what the platform asked for (`retry_after`, from a 429's `Retry-After`).
pub fn refresh_retry_delay(failures: u32, retry_after: Option<Duration>) -> Duration {
    let backoff = backoff(
        failures,
        Duration::minutes(1),
        Duration::hours(6),
        rand::random(),
    );
    retry_after.map_or(backoff, |asked| backoff.max(asked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn short_tokens_are_refreshed_when_a_quarter_of_their_life_is_left() {
        let issued = at(0);
        for (lifetime, due_after) in [
            (Duration::seconds(60), Duration::seconds(45)),
            (Duration::seconds(120), Duration::seconds(90)),
            (Duration::minutes(8), Duration::minutes(6)),
        ] {
            assert_eq!(
                refresh_due_at(issued, issued + lifetime),
                issued + due_after,
                "{lifetime}"
            );
        }
    }

    #[test]
    fn no_token_is_due_sooner_than_the_spacing_after_it_was_issued() {
        let issued = at(0);
        for lifetime in [0, 1, 10, 39] {
            assert_eq!(
                refresh_due_at(issued, issued + Duration::seconds(lifetime)),
                issued + MIN_SPACING,
                "{lifetime} s"
            );
        }
        // Already expired when stored: still not due at once.
        assert_eq!(refresh_due_at(at(0), at(-1)), at(0) + MIN_SPACING);
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let end = DateTime::<Utc>::MAX_UTC;
        let start = DateTime::<Utc>::MIN_UTC;
        refresh_due_at(start, end);
        refresh_due_at(end, start);
        assert_eq!(after(end, Duration::days(1)), end);
    }

    #[test]
    fn lifetimes_outside_the_sane_range_fall_back_to_the_default() {
        let default = Some(Duration::hours(2));
        assert_eq!(
            access_lifetime(Stated::Seconds(3600), default),
            Some(Duration::hours(1))
        );
        assert_eq!(
            access_lifetime(Stated::Absent, default),
            None,
            "never expires"
        );
        for absurd in [
            Stated::Seconds(0),
            Stated::Seconds(-5),
            Stated::Seconds(i64::MAX),
            Stated::Seconds(i64::MIN),
            Stated::Unreadable,
        ] {
            assert_eq!(access_lifetime(absurd, default), default, "{absurd:?}");
            assert_eq!(
                access_lifetime(absurd, None),
                Some(FALLBACK_LIFETIME),
                "{absurd:?} without a default is not 'never'"
            );
            assert_eq!(refresh_lifetime(absurd), None);
        }
    }

    #[test]
    fn stated_lifetimes_are_read_from_numbers_and_strings_only() {
        let read = |v: serde_json::Value| Stated::from_json(Some(&v));
        assert_eq!(read(json!(3600)), Stated::Seconds(3600));
        assert_eq!(read(json!("7200")), Stated::Seconds(7200));
        assert_eq!(read(json!(null)), Stated::Absent);
        assert_eq!(Stated::from_json(None), Stated::Absent);
        assert_eq!(read(json!(1e300)), Stated::Unreadable);
        assert_eq!(read(json!("soon")), Stated::Unreadable);
        assert_eq!(read(json!({"s": 1})), Stated::Unreadable);
        assert_eq!(read(json!(u64::MAX)), Stated::Unreadable);
    }

    #[test]
    fn a_jwt_exp_becomes_seconds_from_now_without_overflow() {
        let now = at(0);
        let exp = now.timestamp() + 7200;
        assert_eq!(
            Stated::until(Stated::Seconds(exp), now),
            Stated::Seconds(7200)
        );
        assert_eq!(
            Stated::until(Stated::Seconds(i64::MIN), now),
            Stated::Unreadable
        );
        assert_eq!(Stated::until(Stated::Absent, now), Stated::Absent);
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
        let random = refresh_retry_delay(3, None);
        assert!(
            random >= Duration::seconds(192) && random <= Duration::seconds(288),
            "{random}"
        );
    }

    #[test]
    fn a_platforms_retry_after_is_waited_at_least() {
        let asked = Duration::minutes(10);
        assert!(refresh_retry_delay(1, Some(asked)) >= asked);
        assert!(refresh_retry_delay(1, Some(Duration::seconds(1))) >= Duration::seconds(48));
    }
}
