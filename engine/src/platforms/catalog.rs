//! The platforms as data (`providers.toml`), and this instance's settings for each: client
//! credentials and URLs, from the environment, or the built-in sandbox.

use crate::schedule::refresh_due_at;
use chrono::{DateTime, Utc};
use domain::{ConnectMethod, ExpiryDisplay, Platform};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use url::Url;

const PROVIDERS_TOML: &str = include_str!("../../providers.toml");

/// Where the sandbox's stand-ins live, under the instance's base URL.
pub const SANDBOX_PREFIX: &str = "/sandbox";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-client-secret";
/// What the sandbox's credential platforms accept.
pub const SANDBOX_BLUESKY_APP_PASSWORD: &str = "sbox-sbox-sbox-sbox";
pub const SANDBOX_TELEGRAM_BOT_TOKEN: &str = "7000000001:sandbox-token-AAAAAAAAAAAAAAAAAAAAAAA";
pub const SANDBOX_LISTMONK_API_USER: &str = "plugboard";
pub const SANDBOX_LISTMONK_TOKEN: &str = "sandbox-listmonk-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuth {
    Basic,
    #[default]
    Body,
}

/// A token a revocation names. Platforms differ in what revoking one ends: Google and Reddit end
/// the whole grant when the refresh token is revoked, X only the token named, so X revokes both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeToken {
    AccessToken,
    RefreshToken,
}

impl RevokeToken {
    /// The `token_type_hint` of RFC 7009.
    pub fn hint(self) -> &'static str {
        match self {
            RevokeToken::AccessToken => "access_token",
            RevokeToken::RefreshToken => "refresh_token",
        }
    }
}

fn access_token_only() -> Vec<RevokeToken> {
    vec![RevokeToken::AccessToken]
}

/// How a revocation is authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RevokeAuth {
    /// The client's credentials, sent the way `token_auth` says, with the token as a form field.
    #[default]
    Client,
    /// The token itself as a bearer token (Slack's `auth.revoke`).
    Bearer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ApiAuth {
    #[default]
    Bearer,
    /// `?access_token=` (Meta's Graph APIs).
    Query,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Exchange {
    #[default]
    None,
    /// The code's short-lived token is traded for a long-lived one (`exchange_grant` at
    /// `exchange_path`, the token as `exchange_token_param`).
    LongLived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RefreshStyle {
    #[default]
    None,
    /// The OAuth `refresh_token` grant.
    RefreshToken,
    /// The long-lived access token renews itself (`refresh_grant` at `refresh_path`).
    CurrentToken,
    /// The platform's own session refresh, in its adapter.
    Session,
}

/// How a platform says when its rate limit resets, besides `Retry-After` (read on a 429 only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitReset {
    /// A header holding the reset time.
    pub header: Option<String>,
    pub format: Option<ResetFormat>,
    /// A JSON pointer to a number of seconds in the body (Telegram's `parameters.retry_after`).
    pub body_seconds: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetFormat {
    /// Seconds from now.
    Seconds,
    /// A Unix time in seconds.
    EpochSeconds,
    /// An RFC 3339 timestamp.
    Rfc3339,
}

/// JSON pointers into a token response.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenPointers {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: String,
    pub refresh_expires_in: String,
    pub scope: String,
    /// A boolean that is false on failure (Slack answers errors with HTTP 200).
    pub ok: Option<String>,
    pub error: Option<String>,
}

impl Default for TokenPointers {
    fn default() -> Self {
        TokenPointers {
            access_token: "/access_token".into(),
            refresh_token: "/refresh_token".into(),
            expires_in: "/expires_in".into(),
            refresh_expires_in: "/refresh_expires_in".into(),
            scope: "/scope".into(),
            ok: None,
            error: None,
        }
    }
}

/// How to learn who connected.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    pub path: String,
    /// For platforms where one consent covers several accounts (Facebook Pages): the array.
    pub list: Option<String>,
    /// Joined with `:` when there are several (a Slack user is unique within a team).
    pub id: Vec<String>,
    /// The id is unique only on its own server (Mastodon): the server is part of who it is.
    #[serde(default)]
    pub id_includes_server: bool,
    pub username: String,
    pub display_name: Option<String>,
    pub avatar: Option<String>,
    /// X: the subscription type; anything but "None" earns the Premium badge.
    pub premium: Option<String>,
    /// Per-item token (a Facebook Page's own token).
    pub item_token: Option<String>,
    pub missing_account: Option<String>,
    pub ok: Option<String>,
    pub error: Option<String>,
    /// TikTok wraps every answer in `error{code}` with `ok` on success.
    pub error_code: Option<String>,
    pub ok_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub api_url: String,
    pub revoke_url: Option<String>,
    /// The tokens a disconnect revokes, in order (each one the account holds).
    #[serde(default = "access_token_only")]
    pub revoke_tokens: Vec<RevokeToken>,
    #[serde(default)]
    pub revoke_auth: RevokeAuth,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "space")]
    pub scope_separator: String,
    #[serde(default = "scope")]
    pub scope_param: String,
    #[serde(default = "client_id")]
    pub client_id_param: String,
    #[serde(default)]
    pub token_auth: TokenAuth,
    #[serde(default)]
    pub pkce: bool,
    #[serde(default)]
    pub authorize_params: BTreeMap<String, String>,
    #[serde(default)]
    pub api_auth: ApiAuth,
    #[serde(default)]
    pub exchange: Exchange,
    pub exchange_path: Option<String>,
    pub exchange_grant: Option<String>,
    #[serde(default = "access_token_param")]
    pub exchange_token_param: String,
    #[serde(default)]
    pub refresh: RefreshStyle,
    pub refresh_path: Option<String>,
    pub refresh_grant: Option<String>,
    #[serde(default)]
    pub refresh_rotates: bool,
    pub default_access_ttl_secs: Option<u64>,
    /// Where the code exchange's answer keeps the tokens.
    #[serde(default)]
    pub token: TokenPointers,
    /// Where a refresh's answer keeps them, when its shape differs from the exchange's (Slack).
    pub refreshed: Option<TokenPointers>,
    pub profile: Option<ProfileSpec>,
    /// The cheapest "who am I" call for a health check, when it is not the profile path.
    pub verify_path: Option<String>,
    #[serde(default)]
    pub revoked: Vec<String>,
    pub rate_limit_reset: Option<RateLimitReset>,
    pub connected_apps_url: String,
}

impl ProviderSpec {
    /// How long this platform's access tokens usually live (`None`: they do not expire).
    pub fn default_access_lifetime(&self) -> Option<chrono::Duration> {
        self.default_access_ttl_secs
            .and_then(|secs| chrono::Duration::try_seconds(i64::try_from(secs).ok()?))
    }

    /// Where a refresh's answer keeps the tokens.
    pub fn refreshed_pointers(&self) -> &TokenPointers {
        self.refreshed.as_ref().unwrap_or(&self.token)
    }

    /// Whether the list shows when the token lapses: never for tokens that do not expire, nor
    /// for short ones Plugboard renews on its own (their expiry is noise); for tokens that live
    /// a day or more, a lapse needs attention.
    pub fn expiry_display(&self) -> ExpiryDisplay {
        const SHORT_LIVED_SECS: u64 = 24 * 60 * 60;
        match (self.refresh, self.default_access_ttl_secs) {
            (RefreshStyle::None, _) | (_, None) => ExpiryDisplay::Never,
            (_, Some(ttl)) if ttl < SHORT_LIVED_SECS => ExpiryDisplay::AutoRefreshed,
            _ => ExpiryDisplay::Shown,
        }
    }
}

fn space() -> String {
    " ".into()
}
fn scope() -> String {
    "scope".into()
}
fn client_id() -> String {
    "client_id".into()
}
fn access_token_param() -> String {
    "access_token".into()
}

/// Every platform's description, parsed once from `providers.toml`.
pub fn specs() -> &'static BTreeMap<Platform, ProviderSpec> {
    static SPECS: OnceLock<BTreeMap<Platform, ProviderSpec>> = OnceLock::new();
    SPECS
        .get_or_init(|| parse_specs(PROVIDERS_TOML).expect("providers.toml is valid (unit-tested)"))
}

pub fn spec(platform: Platform) -> &'static ProviderSpec {
    &specs()[&platform]
}

fn parse_specs(text: &str) -> Result<BTreeMap<Platform, ProviderSpec>, String> {
    let raw: BTreeMap<String, ProviderSpec> = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut specs = BTreeMap::new();
    for (slug, spec) in raw {
        let platform =
            Platform::from_slug(&slug).ok_or_else(|| format!("unknown platform `{slug}`"))?;
        specs.insert(platform, spec);
    }
    if let Some(missing) = Platform::ALL.iter().find(|p| !specs.contains_key(p)) {
        return Err(format!("no description for {missing}"));
    }
    Ok(specs)
}

/// This instance's settings for one platform.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub platform: Platform,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub authorize_url: String,
    pub token_url: String,
    pub api_url: String,
    pub revoke_url: Option<String>,
    /// Served by the built-in sandbox.
    pub sandboxed: bool,
}

impl ProviderSettings {
    pub fn spec(&self) -> &'static ProviderSpec {
        spec(self.platform)
    }

    /// OAuth platforms need a client id; Mastodon registers one per instance.
    pub fn unavailable_reason(&self) -> Option<String> {
        let needs_client = self.platform.connect_method() == ConnectMethod::OAuth;
        let env = env_prefix(self.platform);
        (needs_client && self.client_id.is_none()).then(|| {
            format!(
                "Not set up on this instance: the administrator sets {env}_CLIENT_ID and {env}_CLIENT_SECRET (or runs with --sandbox)."
            )
        })
    }
}

/// `X`, `LINKEDIN`, ... as used in environment variable names.
pub fn env_prefix(platform: Platform) -> String {
    platform.slug().to_ascii_uppercase()
}

#[derive(Debug, Clone)]
pub struct Providers {
    settings: BTreeMap<Platform, ProviderSettings>,
    base_url: Url,
}

impl Providers {
    pub(crate) fn new(settings: BTreeMap<Platform, ProviderSettings>, base_url: Url) -> Providers {
        Providers { settings, base_url }
    }

    pub fn get(&self, platform: Platform) -> &ProviderSettings {
        &self.settings[&platform]
    }

    /// `${BASE_URL}/api/v1/auth/<platform>/callback`, the URL to register with each platform.
    pub fn callback_url(&self, platform: Platform) -> String {
        join_url(
            &self.base_url,
            &format!("/api/v1/auth/{}/callback", platform.slug()),
        )
    }

    pub fn any_sandboxed(&self) -> bool {
        self.settings.values().any(|s| s.sandboxed)
    }
}

fn join_url(base: &Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// The real URL's path under the sandbox: `https://api.x.com/2/oauth2/token` becomes
/// `<base>/sandbox/x/2/oauth2/token`. Instance-relative paths (Mastodon's) stay relative.
pub fn sandbox_url(base_url: &Url, platform: Platform, real: &str) -> String {
    if real.starts_with('/') || real.is_empty() {
        if real.is_empty() {
            return join_url(base_url, &format!("{SANDBOX_PREFIX}/{}", platform.slug()));
        }
        return real.to_owned();
    }
    let path = Url::parse(real)
        .map(|u| {
            let mut path = u.path().trim_end_matches('/').to_owned();
            if u.path().ends_with('/') && u.path() != "/" {
                path.push('/');
            }
            if let Some(query) = u.query() {
                path.push('?');
                path.push_str(query);
            }
            path
        })
        .unwrap_or_default();
    join_url(
        base_url,
        &format!("{SANDBOX_PREFIX}/{}{path}", platform.slug()),
    )
}

/// Whether accounts of this platform can ever be refreshed.
pub fn platform_refreshes(platform: Platform) -> bool {
    spec(platform).refresh != RefreshStyle::None
}

/// When an account with these tokens should next be refreshed: `None` when it cannot be.
pub fn next_refresh_for(
    platform: Platform,
    has_refresh_token: bool,
    issued_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let style = spec(platform).refresh;
    let refreshable = match style {
        RefreshStyle::None => false,
        RefreshStyle::RefreshToken | RefreshStyle::Session => has_refresh_token,
        RefreshStyle::CurrentToken => true,
    };
    match (refreshable, expires_at) {
        (true, Some(expires_at)) => Some(refresh_due_at(issued_at, expires_at)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_is_described_and_consistent() {
        for platform in Platform::ALL {
            let spec = spec(platform);
            if platform.connect_method() != ConnectMethod::Credentials {
                assert!(
                    spec.authorize_url.is_some() && spec.token_url.is_some(),
                    "{platform}"
                );
                assert!(!spec.scopes.is_empty(), "{platform}");
                let profile = spec
                    .profile
                    .as_ref()
                    .unwrap_or_else(|| panic!("{platform} profile"));
                assert!(
                    !profile.id.is_empty() && profile.path.starts_with('/'),
                    "{platform}"
                );
            }
            if spec.exchange == Exchange::LongLived {
                assert!(
                    spec.exchange_path.is_some() && spec.exchange_grant.is_some(),
                    "{platform}"
                );
            }
            if spec.refresh == RefreshStyle::CurrentToken {
                assert!(
                    spec.refresh_path.is_some() && spec.refresh_grant.is_some(),
                    "{platform}"
                );
            }
            assert!(
                !spec.revoked.is_empty(),
                "{platform} names its revoked errors"
            );
        }
    }

    #[test]
    fn the_quirks_are_where_the_research_says() {
        assert_eq!(spec(Platform::TikTok).client_id_param, "client_key");
        assert_eq!(
            spec(Platform::Reddit).authorize_params["duration"],
            "permanent"
        );
        assert_eq!(spec(Platform::Reddit).token_auth, TokenAuth::Basic);
        assert_eq!(
            spec(Platform::Slack).token.access_token,
            "/authed_user/access_token"
        );
        assert!(
            spec(Platform::X).pkce && spec(Platform::X).scopes.contains(&"offline.access".into())
        );
        assert!(!spec(Platform::LinkedIn).pkce);
        assert_eq!(spec(Platform::Threads).exchange, Exchange::LongLived);
        assert_eq!(
            spec(Platform::Instagram).refresh,
            RefreshStyle::CurrentToken
        );
        assert_eq!(
            spec(Platform::Facebook).exchange_token_param,
            "fb_exchange_token"
        );
        assert!(spec(Platform::Mastodon)
            .profile
            .as_ref()
            .is_some_and(|p| p.id_includes_server));
    }

    #[test]
    fn only_refreshable_tokens_get_a_next_refresh() {
        use chrono::Duration;
        let now = Utc::now();
        let in_an_hour = Some(now + Duration::hours(1));
        assert!(next_refresh_for(Platform::YouTube, true, now, in_an_hour).is_some());
        assert_eq!(
            next_refresh_for(Platform::YouTube, false, now, in_an_hour),
            None,
            "no refresh token"
        );
        assert_eq!(
            next_refresh_for(Platform::Telegram, true, now, in_an_hour),
            None,
            "never refreshes"
        );
        assert_eq!(
            next_refresh_for(Platform::YouTube, true, now, None),
            None,
            "never expires"
        );
        assert!(
            next_refresh_for(
                Platform::Threads,
                false,
                now,
                Some(now + Duration::days(60))
            )
            .is_some(),
            "Meta refreshes the token itself"
        );
    }

    #[test]
    fn refreshable_platforms_are_the_ones_with_a_refresh_style() {
        for platform in [
            Platform::X,
            Platform::YouTube,
            Platform::TikTok,
            Platform::Threads,
            Platform::Instagram,
            Platform::Pinterest,
            Platform::Reddit,
            Platform::Slack,
            Platform::Bluesky,
            Platform::LinkedIn,
        ] {
            assert!(platform_refreshes(platform), "{platform}");
        }
        for platform in [
            Platform::Facebook,
            Platform::Mastodon,
            Platform::Telegram,
            Platform::Listmonk,
        ] {
            assert!(!platform_refreshes(platform), "{platform}");
        }
    }

    #[test]
    fn the_list_shows_expiry_only_for_long_lived_tokens() {
        let shown = |platforms: &[Platform], expected: ExpiryDisplay| {
            for platform in platforms {
                assert_eq!(spec(*platform).expiry_display(), expected, "{platform}");
            }
        };
        // Page tokens, bot tokens, instance tokens and API tokens do not expire.
        shown(
            &[
                Platform::Facebook,
                Platform::Mastodon,
                Platform::Telegram,
                Platform::Listmonk,
            ],
            ExpiryDisplay::Never,
        );
        // One- to twelve-hour access tokens backed by a refresh token.
        shown(
            &[
                Platform::YouTube,
                Platform::TikTok,
                Platform::X,
                Platform::Reddit,
                Platform::Bluesky,
                Platform::Slack,
            ],
            ExpiryDisplay::AutoRefreshed,
        );
        // Thirty- to sixty-day tokens: a lapse needs attention.
        shown(
            &[
                Platform::LinkedIn,
                Platform::Threads,
                Platform::Instagram,
                Platform::Pinterest,
            ],
            ExpiryDisplay::Shown,
        );
    }
}
