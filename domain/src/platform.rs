//! The fourteen platforms Plugboard connects, and the facts about each that the page needs.

use crate::codes::code_enum;
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
    /// The person first names the server their account is on; Plugboard registers itself there,
    /// then redirects to that server's consent screen (Mastodon).
    OAuthOnTheirServer,
    /// The person types credentials (an app password, a bot token, an API token) that we verify.
    Credentials,
}

impl ConnectMethod {
    /// Connecting starts on a Plugboard form (credentials, or the server to connect to) rather
    /// than at the platform.
    pub const fn starts_on_form(self) -> bool {
        matches!(
            self,
            ConnectMethod::Credentials | ConnectMethod::OAuthOnTheirServer
        )
    }
}

code_enum! {
    /// One field of a connect form, by the name it is posted under.
    #[derive(PartialOrd, Ord)]
    pub enum CredentialField {
        /// A Bluesky handle, email or DID.
        Identifier,
        AppPassword,
        /// The Bluesky server (PDS) the account lives on.
        PdsUrl,
        BotToken,
        /// Where a self-hosted Listmonk runs.
        BaseUrl,
        ApiUser,
        #[strum(serialize = "token")]
        ApiToken,
        /// The Mastodon server the account is on.
        Instance,
    }
}

impl CredentialField {
    /// Never sent back to the page, logged or kept anywhere but sealed.
    pub const fn is_secret(self) -> bool {
        matches!(
            self,
            CredentialField::AppPassword | CredentialField::BotToken | CredentialField::ApiToken
        )
    }

    /// A server the person chose: where their credentials will be sent, so it is checked
    /// against the address guard and never taken from a link.
    pub const fn is_server(self) -> bool {
        matches!(
            self,
            CredentialField::PdsUrl | CredentialField::BaseUrl | CredentialField::Instance
        )
    }

    /// May be left empty (the platform's default server is used).
    pub const fn is_optional(self) -> bool {
        matches!(self, CredentialField::PdsUrl)
    }
}

/// Whether the access token's expiry means anything to the person looking at the list. It
/// follows from how the platform's tokens live (`providers.toml`).
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
            Platform::Mastodon => ConnectMethod::OAuthOnTheirServer,
            _ => ConnectMethod::OAuth,
        }
    }

    /// What the connect form asks for, in order (empty for a platform that starts at its
    /// consent screen).
    pub const fn credential_fields(self) -> &'static [CredentialField] {
        use CredentialField::*;
        match self {
            Platform::Bluesky => &[Identifier, AppPassword, PdsUrl],
            Platform::Telegram => &[BotToken],
            Platform::Listmonk => &[BaseUrl, ApiUser, ApiToken],
            Platform::Mastodon => &[Instance],
            _ => &[],
        }
    }

    /// The server field of its connect form, if the person may choose one.
    pub fn server_field(self) -> Option<CredentialField> {
        self.credential_fields()
            .iter()
            .copied()
            .find(|field| field.is_server())
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

impl TryFrom<String> for Platform {
    type Error = UnknownPlatform;

    fn try_from(slug: String) -> Result<Self, Self::Error> {
        slug.parse()
    }
}

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

    #[test]
    fn exactly_the_platforms_that_start_on_a_form_have_fields() {
        for platform in Platform::ALL {
            assert_eq!(
                platform.connect_method().starts_on_form(),
                !platform.credential_fields().is_empty(),
                "{platform}"
            );
        }
    }

    #[test]
    fn field_names_are_the_ones_forms_post() {
        for field in CredentialField::all() {
            assert_eq!(CredentialField::parse(field.as_str()), Some(*field));
        }
        assert_eq!(CredentialField::ApiToken.as_str(), "token");
        assert_eq!(CredentialField::PdsUrl.as_str(), "pds_url");
        assert_eq!(
            Platform::Listmonk.server_field(),
            Some(CredentialField::BaseUrl)
        );
        assert_eq!(Platform::Telegram.server_field(), None);
    }
}
