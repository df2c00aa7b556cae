//! The fourteen platforms Plugboard connects, and the facts about each that the page needs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    X,
    LinkedIn,
    YouTube,
    TikTok,
    Threads,
    Instagram,
    Facebook,
    Pinterest,
    Reddit,
    Slack,
    Mastodon,
    Bluesky,
    Telegram,
    Listmonk,
}

/// How a person proves they own the account when connecting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectMethod {
    /// Redirect to the provider's consent screen.
    OAuth,
    /// The person types credentials (an app password, a bot token, an API token) that we verify.
    Credentials,
}

/// Whether the access token's expiry means anything to the person looking at the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryDisplay {
    /// Tokens never expire.
    Never,
    /// Short-lived access tokens that Plugboard refreshes on its own; their expiry is noise.
    AutoRefreshed,
    /// Long-lived tokens whose approaching expiry is worth a warning.
    Shown,
}

impl Platform {
    pub const ALL: [Platform; 14] = [
        Platform::X,
        Platform::LinkedIn,
        Platform::YouTube,
        Platform::TikTok,
        Platform::Threads,
        Platform::Instagram,
        Platform::Facebook,
        Platform::Pinterest,
        Platform::Reddit,
        Platform::Slack,
        Platform::Mastodon,
        Platform::Bluesky,
        Platform::Telegram,
        Platform::Listmonk,
    ];

    /// The identifier used in URLs, environment variable names (upper-cased) and the database.
    pub const fn slug(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::LinkedIn => "linkedin",
            Platform::YouTube => "youtube",
            Platform::TikTok => "tiktok",
            Platform::Threads => "threads",
            Platform::Instagram => "instagram",
            Platform::Facebook => "facebook",
            Platform::Pinterest => "pinterest",
            Platform::Reddit => "reddit",
            Platform::Slack => "slack",
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Telegram => "telegram",
            Platform::Listmonk => "listmonk",
        }
    }

    pub const fn display_name(self) -> &'static str {
        match self {
            Platform::X => "X",
            Platform::LinkedIn => "LinkedIn",
            Platform::YouTube => "YouTube",
            Platform::TikTok => "TikTok",
            Platform::Threads => "Threads",
            Platform::Instagram => "Instagram",
            Platform::Facebook => "Facebook Pages",
            Platform::Pinterest => "Pinterest",
            Platform::Reddit => "Reddit",
            Platform::Slack => "Slack",
            Platform::Mastodon => "Mastodon",
            Platform::Bluesky => "Bluesky",
            Platform::Telegram => "Telegram",
            Platform::Listmonk => "Listmonk",
        }
    }

    pub const fn connect_method(self) -> ConnectMethod {
        match self {
            Platform::Bluesky | Platform::Telegram | Platform::Listmonk => {
                ConnectMethod::Credentials
            }
            _ => ConnectMethod::OAuth,
        }
    }

    pub const fn expiry_display(self) -> ExpiryDisplay {
        match self {
            // Page tokens, bot tokens, instance tokens and API tokens do not expire.
            Platform::Facebook | Platform::Mastodon | Platform::Telegram | Platform::Listmonk => {
                ExpiryDisplay::Never
            }
            // One- and two-hour access tokens backed by a refresh token (Slack only with rotation).
            Platform::YouTube
            | Platform::TikTok
            | Platform::X
            | Platform::Reddit
            | Platform::Bluesky
            | Platform::Slack => ExpiryDisplay::AutoRefreshed,
            // Thirty- to sixty-day tokens: a lapse needs attention.
            Platform::LinkedIn | Platform::Threads | Platform::Instagram | Platform::Pinterest => {
                ExpiryDisplay::Shown
            }
        }
    }

    pub fn from_slug(slug: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.slug() == slug)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPlatform(pub String);

impl fmt::Display for UnknownPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown platform `{}`", self.0)
    }
}

impl std::error::Error for UnknownPlatform {}

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::from_slug(s).ok_or_else(|| UnknownPlatform(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_are_unique() {
        for platform in Platform::ALL {
            assert_eq!(Platform::from_slug(platform.slug()), Some(platform));
            assert_eq!(platform.slug().parse::<Platform>(), Ok(platform));
        }
        let mut slugs: Vec<_> = Platform::ALL.iter().map(|p| p.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), 14);
    }

    #[test]
    fn serde_uses_the_slug() {
        for platform in Platform::ALL {
            let json = serde_json::to_string(&platform).unwrap();
            assert_eq!(json, format!("\"{}\"", platform.slug()));
        }
    }

    #[test]
    fn unknown_slug_is_an_error_naming_it() {
        let err = "myspace".parse::<Platform>().unwrap_err();
        assert_eq!(err.to_string(), "unknown platform `myspace`");
    }

    #[test]
    fn credential_platforms_are_the_three_without_oauth() {
        let credential: Vec<_> = Platform::ALL
            .into_iter()
            .filter(|p| p.connect_method() == ConnectMethod::Credentials)
            .collect();
        assert_eq!(
            credential,
            [Platform::Bluesky, Platform::Telegram, Platform::Listmonk]
        );
    }
}
