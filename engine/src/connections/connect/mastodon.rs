//! Mastodon: the instance a person types, and Plugboard's app registered on it (once per instance).

use super::error::{provider_error, url_refused, ConnectError, Stage};
use crate::platforms::client::ProviderClient;
use crate::platforms::credentials::{self};
use crate::platforms::failure::ProviderError;
use crate::platforms::servers;
use crate::storage::db::to_millis;
use crate::AppState;
use chrono::Utc;
use domain::FieldProblem;
use domain::Platform;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::Row;
use url::Url;

/// Normalises a Mastodon instance as typed (`mastodon.social`, `https://mastodon.social/`): a
/// server and nothing else (no user name, query or fragment).
pub fn instance_url(input: &str) -> Result<Url, ConnectError> {
    let input = input.trim().trim_end_matches('/');
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    Url::parse(&with_scheme)
        .ok()
        .filter(credentials::is_plain_server_url)
        .ok_or(ConnectError::Invalid {
            field: "instance",
            problem: FieldProblem::InvalidUrl,
        })
}

pub(crate) async fn mastodon_client(
    app: &AppState,
    instance: &str,
) -> Result<ProviderClient, ConnectError> {
    let settings = app.config.providers.get(Platform::Mastodon);
    let url = instance_url(instance)?;
    let http = servers::http_for_typed_url(app, settings, &url)
        .await
        .map_err(url_refused("instance"))?;
    let instance = url.as_str().trim_end_matches('/').to_owned();
    let base = app.provider_client(settings.platform);
    let (client_id, client_secret) =
        mastodon_app(app, &http, &instance, &base.redirect_uri).await?;
    Ok(base
        .for_instance(&instance, client_id, client_secret)
        .with_http(http))
}

/// Plugboard's app on a Mastodon instance: registered on first use, then remembered.
pub(super) async fn mastodon_app(
    app: &AppState,
    http: &reqwest::Client,
    instance: &str,
    redirect_uri: &str,
) -> Result<(String, SecretString), ConnectError> {
    let context = |instance: &str| format!("mastodon_apps:{instance}:client_secret");
    let find = || async {
        let row = sqlx::query(
            "SELECT client_id, client_secret_enc FROM mastodon_apps WHERE instance_url = $1 AND redirect_uri = $2",
        )
        .bind(instance)
        .bind(redirect_uri)
        .fetch_optional(app.db.pool())
        .await?;
        row.map(|row| -> Result<_, ConnectError> {
            let sealed: Vec<u8> = row.try_get("client_secret_enc")?;
            let secret = app
                .secrets
                .open(&sealed, &context(instance))
                .map_err(|e| ConnectError::Database(sqlx::Error::Decode(Box::new(e))))?;
            Ok((row.try_get("client_id")?, secret))
        })
        .transpose()
    };
    if let Some(found) = find().await? {
        return Ok(found);
    }
    let spec = crate::platforms::catalog::spec(Platform::Mastodon);
    let reply = crate::net::http::send_capped(
        http.post(format!("{instance}/api/v1/apps")).form(&[
            ("client_name", "Plugboard"),
            ("redirect_uris", redirect_uri),
            ("scopes", &spec.scopes.join(" ")),
            ("website", app.config.base_url.as_str()),
        ]),
        crate::net::http::MAX_BODY,
    )
    .await
    .map_err(ProviderError::from)
    .map_err(provider_error(Stage::Register))?;
    if !reply.is_success() {
        return Err(provider_error(Stage::Register)(
            crate::platforms::failure::classify_reply(&reply, spec),
        ));
    }
    let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    let (Some(client_id), Some(client_secret)) = (
        body.get("client_id").and_then(Value::as_str),
        body.get("client_secret").and_then(Value::as_str),
    ) else {
        return Err(provider_error(Stage::Register)(ProviderError::unexpected(
            "the instance did not register an app (is this a Mastodon server?)",
        )));
    };
    let secret = SecretString::from(client_secret.to_owned());
    // Two first connects at once: the first registration stored wins, both use it.
    sqlx::query(
        "INSERT INTO mastodon_apps (instance_url, redirect_uri, client_id, client_secret_enc, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance_url, redirect_uri) DO NOTHING",
    )
    .bind(instance)
    .bind(redirect_uri)
    .bind(client_id)
    .bind(app.secrets.seal(&secret, &context(instance)))
    .bind(to_millis(Utc::now()))
    .execute(app.db.pool())
    .await?;
    Ok(find().await?.expect("just stored"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_normalised() {
        assert_eq!(
            instance_url("mastodon.social").unwrap().as_str(),
            "https://mastodon.social/"
        );
        assert_eq!(
            instance_url(" https://fosstodon.org/ ").unwrap().as_str(),
            "https://fosstodon.org/"
        );
        assert!(instance_url("not a host!").is_err());
        for smuggled in [
            "user:pw@mastodon.social",
            "mastodon.social/?x=1",
            "mastodon.social#frag",
        ] {
            assert!(instance_url(smuggled).is_err(), "{smuggled}");
        }
    }
}
