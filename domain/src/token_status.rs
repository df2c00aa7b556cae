//! What the connections list says about an account's token.

use crate::platform::ExpiryDisplay;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How far ahead an approaching expiry turns into a warning.
pub const EXPIRING_SOON_WINDOW: Duration = Duration::days(7);

/// The status as stored on the account row, written by connects, refreshes and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredTokenStatus {
    Active,
    Expired,
    /// A refresh or health check hit a terminal auth error: only the person can fix it.
    NeedsReconnect,
}

impl StoredTokenStatus {
    pub const ALL: [StoredTokenStatus; 3] = [
        StoredTokenStatus::Active,
        StoredTokenStatus::Expired,
        StoredTokenStatus::NeedsReconnect,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            StoredTokenStatus::Active => "active",
            StoredTokenStatus::Expired => "expired",
            StoredTokenStatus::NeedsReconnect => "needs_reconnect",
        }
    }
}

impl fmt::Display for StoredTokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for StoredTokenStatus {
    type Error = String;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        stored.parse()
    }
}

impl FromStr for StoredTokenStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(StoredTokenStatus::Active),
            "expired" => Ok(StoredTokenStatus::Expired),
            "needs_reconnect" => Ok(StoredTokenStatus::NeedsReconnect),
            other => Err(format!("unknown stored token status `{other}`")),
        }
    }
}

/// The status shown to the person. `expires_in_days` exists only for `ExpiringSoon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TokenStatus {
    Ok,
    ExpiringSoon { expires_in_days: u32 },
    Expired,
    NeedsReconnect,
}

impl TokenStatus {
    pub const fn slug(self) -> &'static str {
        match self {
            TokenStatus::Ok => "ok",
            TokenStatus::ExpiringSoon { .. } => "expiring_soon",
            TokenStatus::Expired => "expired",
            TokenStatus::NeedsReconnect => "needs_reconnect",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            TokenStatus::Ok => "Connected",
            TokenStatus::ExpiringSoon { .. } => "Expiring soon",
            TokenStatus::Expired => "Expired",
            TokenStatus::NeedsReconnect => "Reconnect needed",
        }
    }

    /// The status again from its slug and days (as sent to the open page).
    pub fn from_parts(slug: &str, expires_in_days: Option<u32>) -> Option<TokenStatus> {
        match (slug, expires_in_days) {
            ("ok", _) => Some(TokenStatus::Ok),
            ("expiring_soon", Some(expires_in_days)) => {
                Some(TokenStatus::ExpiringSoon { expires_in_days })
            }
            ("expired", _) => Some(TokenStatus::Expired),
            ("needs_reconnect", _) => Some(TokenStatus::NeedsReconnect),
            _ => None,
        }
    }
}

/// Decides the displayed status.
///
/// Order matters: a terminal auth failure wins over everything, then a stored `expired`; platforms
/// whose tokens never expire or are refreshed automatically are `ok` (a lapsed one-hour access token
/// with a working refresh token is healthy); otherwise the expiry date decides.
pub fn token_status(
    stored: StoredTokenStatus,
    expires_at: Option<DateTime<Utc>>,
    expiry: ExpiryDisplay,
    now: DateTime<Utc>,
) -> TokenStatus {
    match stored {
        StoredTokenStatus::NeedsReconnect => return TokenStatus::NeedsReconnect,
        StoredTokenStatus::Expired => return TokenStatus::Expired,
        StoredTokenStatus::Active => {}
    }
    if expiry != ExpiryDisplay::Shown {
        return TokenStatus::Ok;
    }
    let Some(expires_at) = expires_at else {
        return TokenStatus::Ok;
    };
    let remaining = expires_at - now;
    if remaining <= Duration::zero() {
        TokenStatus::Expired
    } else if remaining <= EXPIRING_SOON_WINDOW {
        TokenStatus::ExpiringSoon {
            expires_in_days: whole_days_rounded_up(remaining),
        }
    } else {
        TokenStatus::Ok
    }
}

/// "Expires in 1 day" for anything under a day: never "0 days" for a token that still works.
fn whole_days_rounded_up(remaining: Duration) -> u32 {
    let seconds = remaining.num_seconds().max(1);
    let day = Duration::days(1).num_seconds();
    u32::try_from((seconds + day - 1) / day).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn status_in(expiry: ExpiryDisplay, expires_in: Option<Duration>) -> TokenStatus {
        token_status(
            StoredTokenStatus::Active,
            expires_in.map(|d| now() + d),
            expiry,
            now(),
        )
    }

    #[test]
    fn needs_reconnect_wins_over_a_future_expiry() {
        let status = token_status(
            StoredTokenStatus::NeedsReconnect,
            Some(now() + Duration::days(30)),
            ExpiryDisplay::Shown,
            now(),
        );
        assert_eq!(status, TokenStatus::NeedsReconnect);
    }

    #[test]
    fn needs_reconnect_applies_to_platforms_that_never_expire() {
        let status = token_status(
            StoredTokenStatus::NeedsReconnect,
            None,
            ExpiryDisplay::Never,
            now(),
        );
        assert_eq!(status, TokenStatus::NeedsReconnect);
    }

    #[test]
    fn stored_expired_wins_over_a_future_expiry() {
        let status = token_status(
            StoredTokenStatus::Expired,
            Some(now() + Duration::days(30)),
            ExpiryDisplay::Shown,
            now(),
        );
        assert_eq!(status, TokenStatus::Expired);
    }

    #[test]
    fn stored_expired_applies_to_auto_refreshed_platforms() {
        let status = token_status(
            StoredTokenStatus::Expired,
            None,
            ExpiryDisplay::AutoRefreshed,
            now(),
        );
        assert_eq!(status, TokenStatus::Expired);
    }

    #[test]
    fn past_expiry_is_expired() {
        assert_eq!(
            status_in(ExpiryDisplay::Shown, Some(-Duration::minutes(1))),
            TokenStatus::Expired
        );
    }

    #[test]
    fn expiry_exactly_now_is_expired() {
        assert_eq!(
            status_in(ExpiryDisplay::Shown, Some(Duration::zero())),
            TokenStatus::Expired
        );
    }

    #[test]
    fn within_seven_days_is_expiring_soon_with_days_rounded_up() {
        assert_eq!(
            status_in(ExpiryDisplay::Shown, Some(Duration::hours(60))),
            TokenStatus::ExpiringSoon { expires_in_days: 3 }
        );
    }

    #[test]
    fn exactly_seven_days_is_expiring_soon() {
        assert_eq!(
            status_in(ExpiryDisplay::Shown, Some(Duration::days(7))),
            TokenStatus::ExpiringSoon { expires_in_days: 7 }
        );
    }

    #[test]
    fn under_a_day_left_reads_one_day() {
        assert_eq!(
            status_in(ExpiryDisplay::Shown, Some(Duration::seconds(30))),
            TokenStatus::ExpiringSoon { expires_in_days: 1 }
        );
    }

    #[test]
    fn more_than_seven_days_is_ok() {
        assert_eq!(
            status_in(
                ExpiryDisplay::Shown,
                Some(Duration::days(7) + Duration::seconds(1))
            ),
            TokenStatus::Ok
        );
    }

    #[test]
    fn no_expiry_is_ok() {
        assert_eq!(status_in(ExpiryDisplay::Shown, None), TokenStatus::Ok);
    }

    #[test]
    fn tokens_that_never_expire_are_ok_whatever_the_date() {
        assert_eq!(
            status_in(ExpiryDisplay::Never, Some(-Duration::days(3))),
            TokenStatus::Ok
        );
    }

    #[test]
    fn auto_refreshed_tokens_hide_the_access_token_expiry() {
        for expires_in in [Duration::hours(1), -Duration::hours(1)] {
            assert_eq!(
                status_in(ExpiryDisplay::AutoRefreshed, Some(expires_in)),
                TokenStatus::Ok
            );
        }
    }

    #[test]
    fn serialised_form_carries_days_only_when_expiring_soon() {
        let soon = serde_json::to_value(TokenStatus::ExpiringSoon { expires_in_days: 2 }).unwrap();
        assert_eq!(
            soon,
            serde_json::json!({"status": "expiring_soon", "expires_in_days": 2})
        );
        let ok = serde_json::to_value(TokenStatus::Ok).unwrap();
        assert_eq!(ok, serde_json::json!({"status": "ok"}));
    }

    #[test]
    fn statuses_round_trip_through_their_parts() {
        for status in [
            TokenStatus::Ok,
            TokenStatus::ExpiringSoon { expires_in_days: 4 },
            TokenStatus::Expired,
            TokenStatus::NeedsReconnect,
        ] {
            let days = match status {
                TokenStatus::ExpiringSoon { expires_in_days } => Some(expires_in_days),
                _ => None,
            };
            assert_eq!(TokenStatus::from_parts(status.slug(), days), Some(status));
        }
        assert_eq!(TokenStatus::from_parts("expiring_soon", None), None);
        assert_eq!(TokenStatus::from_parts("fine", None), None);
    }

    #[test]
    fn stored_status_round_trips_through_text() {
        for status in [
            StoredTokenStatus::Active,
            StoredTokenStatus::Expired,
            StoredTokenStatus::NeedsReconnect,
        ] {
            assert_eq!(status.as_str().parse::<StoredTokenStatus>(), Ok(status));
        }
        assert!("revoked".parse::<StoredTokenStatus>().is_err());
    }
}
