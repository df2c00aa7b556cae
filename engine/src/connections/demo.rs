//! Demo accounts for trying the page, taking screenshots and benchmarking: one in each status,
//! then as many more as asked for. Their tokens are placeholders that no platform accepts, so
//! they are marked `demo` and never health-checked or refreshed.

use crate::connections::accounts::{self, NewAccount};
use crate::storage::crypto::SecretBox;
use crate::storage::db::{new_id, Db};
use chrono::{Duration, Utc};
use domain::{Platform, StoredTokenStatus};
use secrecy::SecretString;
use serde_json::{json, Value};

struct Showcase {
    platform: Platform,
    username: &'static str,
    display_name: &'static str,
    expires_in: Option<Duration>,
    status: StoredTokenStatus,
    premium: bool,
    /// What the platform's adapter keeps beside the account (TikTok's creator names).
    kept: &'static str,
}

const SHOWCASE: [Showcase; 6] = [
    Showcase {
        platform: Platform::X,
        username: "adalovelace",
        display_name: "Ada Lovelace",
        expires_in: Some(Duration::hours(2)),
        status: StoredTokenStatus::Active,
        premium: true,
        kept: "{}",
    },
    Showcase {
        platform: Platform::Threads,
        username: "ada.threads",
        display_name: "Ada on Threads",
        expires_in: Some(Duration::days(3)),
        status: StoredTokenStatus::Active,
        premium: false,
        kept: "{}",
    },
    Showcase {
        platform: Platform::LinkedIn,
        username: "ada-lovelace",
        display_name: "Ada Lovelace",
        expires_in: Some(Duration::days(-2)),
        status: StoredTokenStatus::Active,
        premium: false,
        kept: "{}",
    },
    Showcase {
        platform: Platform::YouTube,
        username: "AnalyticalEngine",
        display_name: "The Analytical Engine",
        expires_in: Some(Duration::hours(1)),
        status: StoredTokenStatus::NeedsReconnect,
        premium: false,
        kept: "{}",
    },
    Showcase {
        platform: Platform::TikTok,
        username: "tt_7f3a",
        display_name: "tt_7f3a",
        expires_in: Some(Duration::hours(2)),
        status: StoredTokenStatus::Active,
        premium: false,
        kept: r#"{"tiktok_creator": {"creator_username": "ada.makes", "creator_nickname": "Ada Makes Things"}}"#,
    },
    Showcase {
        platform: Platform::Mastodon,
        username: "ada@mastodon.social",
        display_name: "Ada",
        expires_in: None,
        status: StoredTokenStatus::Active,
        premium: false,
        kept: "{}",
    },
];

/// Adds `count` demo accounts to the owner (at least the six showcase ones when `count >= 6`).
pub async fn seed(
    db: &Db,
    secrets: &SecretBox,
    workspace_id: &str,
    count: usize,
) -> Result<Vec<String>, sqlx::Error> {
    let now = Utc::now();
    let mut conn = db.pool().acquire().await?;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let account = match SHOWCASE.get(n) {
            Some(show) => NewAccount {
                platform: show.platform,
                platform_account_id: format!("demo-{}", new_id()),
                username: show.username.to_owned(),
                display_name: Some(show.display_name.to_owned()),
                profile_image_url: None,
                token_expires_at: show.expires_in.map(|d| now + d),
                token_status: show.status,
                is_x_premium: show.premium,
                access_token: Some(SecretString::from(format!("demo-access-{n}"))),
                refresh_token: None,
                refresh_token_expires_at: None,
                extra_secret: None,
                granted_scopes: None,
                next_refresh_at: None,
                metadata: {
                    let mut kept: Value =
                        serde_json::from_str(show.kept).expect("a showcase's metadata is JSON");
                    kept["demo"] = json!(true);
                    kept
                },
            },
            None => {
                let platform = Platform::ALL[n % Platform::ALL.len()];
                NewAccount {
                    platform,
                    platform_account_id: format!("demo-{}", new_id()),
                    username: format!("demo_{}_{n}", platform.slug()),
                    display_name: Some(format!("Demo {} {n}", platform.display_name())),
                    profile_image_url: None,
                    token_expires_at: Some(now + Duration::days(30 + (n % 30) as i64)),
                    token_status: StoredTokenStatus::Active,
                    is_x_premium: false,
                    access_token: Some(SecretString::from(format!("demo-access-{n}"))),
                    refresh_token: None,
                    refresh_token_expires_at: None,
                    extra_secret: None,
                    granted_scopes: None,
                    next_refresh_at: None,
                    metadata: json!({"demo": true}),
                }
            }
        };
        ids.push(accounts::insert(&mut conn, secrets, workspace_id, None, account).await?);
    }
    Ok(ids)
}
