//! What sets a platform apart from the generic path that `providers.toml` describes. Most
//! platforms are only data; a platform that really behaves differently has one module here,
//! behind [`PlatformAdapter`], whose every method defaults to the generic behaviour. This is the
//! only place that names a platform to decide what to do.

mod bluesky;
mod generic;
mod listmonk;
mod mastodon;
mod telegram;
mod tiktok;

pub use bluesky::{bluesky_tokens, check_app_password, check_bluesky_identifier, jwt_exp};
pub use telegram::{check_bot_token, telegram_bot};

use crate::platforms::client::TokenSet;
use crate::platforms::credentials::{Checked, CredentialInput, CredentialProblem};
use crate::platforms::failure::ProviderError;
use crate::AppState;
use async_trait::async_trait;
use domain::{ConnectedAccount, Platform};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

/// The adapter for a platform: its own module where it differs, the generic path otherwise.
pub fn adapter(platform: Platform) -> &'static dyn PlatformAdapter {
    match platform {
        Platform::Bluesky => &bluesky::Bluesky,
        Platform::Telegram => &telegram::Telegram,
        Platform::Listmonk => &listmonk::Listmonk,
        Platform::Mastodon => &mastodon::Mastodon,
        Platform::TikTok => &tiktok::TikTok,
        _ => &generic::Generic,
    }
}

/// A connected account as an adapter sees it.
#[derive(Debug, Clone, Copy)]
pub struct KnownAccount<'a> {
    pub id: &'a str,
    pub platform: Platform,
    pub platform_account_id: &'a str,
    pub username: &'a str,
    pub metadata: &'a Value,
}

impl<'a> KnownAccount<'a> {
    /// A text kept with the account when it was connected.
    pub fn kept(&self, key: Kept) -> Option<&'a str> {
        self.metadata.get(key.as_str()).and_then(Value::as_str)
    }

    /// The server the account lives on, when the person named one (their Mastodon instance,
    /// Bluesky PDS or Listmonk): where its API is called.
    pub fn own_server(&self) -> Option<&'a str> {
        [Kept::InstanceUrl, Kept::PdsUrl, Kept::BaseUrl]
            .into_iter()
            .find_map(|key| self.kept(key))
    }
}

/// What an adapter keeps in an account's metadata when it connects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The server of an account on a platform whose OAuth runs on the person's own server.
    InstanceUrl,
    /// The Bluesky PDS the account lives on.
    PdsUrl,
    /// The Listmonk the account's API user belongs to.
    BaseUrl,
    /// The Listmonk API user.
    ApiUser,
}

impl Kept {
    pub fn as_str(self) -> &'static str {
        match self {
            Kept::InstanceUrl => "instance_url",
            Kept::PdsUrl => "pds_url",
            Kept::BaseUrl => "base_url",
            Kept::ApiUser => "api_user",
        }
    }
}

/// An account's metadata holding `values`.
pub fn keep<'a>(values: impl IntoIterator<Item = (Kept, &'a str)>) -> Value {
    Value::Object(
        values
            .into_iter()
            .map(|(key, value)| (key.as_str().to_owned(), Value::from(value)))
            .collect(),
    )
}

/// A server a person named for their account (a Bluesky PDS, a Listmonk, a Mastodon instance,
/// or the platform's own), with the client allowed to call it.
#[derive(Debug, Clone)]
pub struct AccountServer {
    pub url: Url,
    pub http: reqwest::Client,
}

impl AccountServer {
    /// The URL without a trailing slash, to put paths after.
    pub fn base(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_owned()
    }
}

#[async_trait]
pub trait PlatformAdapter: Send + Sync {
    /// How to get through the sandbox's stand-in, said on the connect form.
    fn sandbox_hint(&self) -> Option<String> {
        None
    }

    /// Adjusts what the connections list shows for an account.
    fn shown(&self, _account: KnownAccount<'_>, _shown: &mut ConnectedAccount) {}

    /// The account's picture is served by Plugboard (see [`PlatformAdapter::avatar`]) because
    /// its URL would carry a secret.
    fn proxies_avatar(&self) -> bool {
        false
    }

    /// Checks what a person typed with the platform, at `server`.
    async fn check_credentials(
        &self,
        _server: &AccountServer,
        _typed: &CredentialInput,
    ) -> Result<Checked, CredentialProblem> {
        Err(CredentialProblem::Provider(ProviderError::unexpected(
            "this platform connects through its consent screen",
        )))
    }

    /// Ends the session a successful check opened at the platform (its refresh token), when
    /// the account is not kept.
    async fn abandon(&self, _server: &AccountServer, _refresh: &SecretString) {}

    /// Registers Plugboard as a client on a person's own server: (client id, secret).
    async fn register_client(
        &self,
        _app: &AppState,
        _server: &AccountServer,
        _redirect_uri: &str,
    ) -> Result<(String, SecretString), ProviderError> {
        Err(ProviderError::unexpected(
            "this platform has no client registration",
        ))
    }

    /// The platform's cheapest "who am I": its answer, and the account id it names.
    async fn who_am_i(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        token: &SecretString,
    ) -> Result<(Value, Option<String>), ProviderError> {
        generic::who_am_i(app, account, token).await
    }

    /// After a health check confirmed the token: metadata worth keeping, if it changed.
    async fn after_check(
        &self,
        _app: &AppState,
        _account: KnownAccount<'_>,
        _token: &SecretString,
    ) -> Option<Value> {
        None
    }

    /// Renews the account's session (`refresh = "session"`).
    async fn renew_session(
        &self,
        _app: &AppState,
        _account: KnownAccount<'_>,
        _refresh: &SecretString,
        _extra_secret: Option<&SecretString>,
    ) -> Result<TokenSet, ProviderError> {
        Err(ProviderError::unexpected("this platform has no session"))
    }

    /// On disconnect, ends Plugboard's session at the platform (best effort).
    async fn end_session(
        &self,
        _app: &AppState,
        _account: KnownAccount<'_>,
        _refresh: &SecretString,
    ) {
    }

    /// The account's picture as (content type, bytes), where [`PlatformAdapter::proxies_avatar`].
    async fn avatar(
        &self,
        _app: &AppState,
        _account: KnownAccount<'_>,
        _token: &SecretString,
    ) -> Result<Option<(String, Vec<u8>)>, ProviderError> {
        Ok(None)
    }
}
