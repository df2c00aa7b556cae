//! Self-hosted platform servers (a Mastodon instance, a Bluesky PDS, a Listmonk) whose address a
//! person types: Plugboard only calls them if they lead to the public internet, unless it is the
//! server the administrator configured (or the sandbox) or private URLs are allowed.

use crate::net::address_guard::{self, UrlRefused};
use crate::platforms::catalog::ProviderSettings;
use crate::platforms::failure::{FailureKind, ProviderError};
use crate::AppState;
use url::Url;

/// The client for a server URL a person typed.
pub async fn http_for_typed_url(
    app: &AppState,
    settings: &ProviderSettings,
    url: &Url,
) -> Result<reqwest::Client, UrlRefused> {
    let configured = Url::parse(&settings.api_url).ok().map(|u| u.origin());
    if configured.is_some_and(|origin| origin == url.origin()) {
        return Ok(app.http.clone());
    }
    address_guard::pinned_client(
        url,
        app.config.allow_private_urls,
        app.config.provider_timeout,
    )
    .await
}

/// The client for a server URL stored with an account, checked the same way as when it was typed.
pub async fn http_for_stored_url(
    app: &AppState,
    settings: &ProviderSettings,
    url: &str,
) -> Result<reqwest::Client, ProviderError> {
    let parsed = Url::parse(url)
        .map_err(|_| ProviderError::unexpected("the stored server address is not a URL"))?;
    http_for_typed_url(app, settings, &parsed)
        .await
        .map_err(|problem| ProviderError {
            message: Some(problem.to_string()),
            ..ProviderError::new(FailureKind::Rejected)
        })
}
