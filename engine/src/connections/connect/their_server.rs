//! Platforms whose accounts live on a server the person names (`OAuthOnTheirServer`: Mastodon):
//! the server as typed, and Plugboard's client registered on it, once per server. (The table
//! keeps its first platform's name.)

use super::error::{provider_error, url_refused, ConnectError, Stage};
use crate::platforms::adapters::{adapter, AccountServer};
use crate::platforms::client::ProviderClient;
use crate::platforms::credentials::is_plain_server_url;
use crate::platforms::servers;
use crate::storage::db::to_millis;
use crate::AppState;
use chrono::Utc;
use domain::{CredentialField, FieldProblem, Platform};
use secrecy::SecretString;
use sqlx::Row;
use url::Url;

/// Normalises a server as typed (`mastodon.social`, `https://mastodon.social/`): a server and
/// nothing else (no user name, query or fragment).
pub fn instance_url(input: &str) -> Result<Url, ConnectError> {
    if !crate::net::address_guard::within_bound(input) {
        return Err(ConnectError::Invalid {
            field: CredentialField::Instance.as_str(),
            problem: FieldProblem::TooLong,
        });
    }
    let input = input.trim().trim_end_matches('/');
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    Url::parse(&with_scheme)
        .ok()
        .filter(is_plain_server_url)
        .ok_or(ConnectError::Invalid {
            field: CredentialField::Instance.as_str(),
            problem: FieldProblem::InvalidUrl,
        })
}

/// The OAuth client for an account on a server the person named: Plugboard's registration there
/// (made on first use, then remembered) and that server's endpoints.
pub(crate) async fn client_on_their_server(
    app: &AppState,
    platform: Platform,
    server: &str,
) -> Result<ProviderClient, ConnectError> {
    let settings = app.config.providers.get(platform);
    let url = instance_url(server)?;
    let http = servers::http_for_typed_url(app, settings, &url)
        .await
        .map_err(url_refused(CredentialField::Instance.as_str()))?;
    let server = AccountServer { url, http };
    let base = app.provider_client(platform);
    let (client_id, client_secret) =
        registration(app, platform, &server, &base.redirect_uri).await?;
    Ok(base
        .for_instance(&server.base(), client_id, client_secret)
        .with_http(server.http))
}

/// Plugboard's registration on a server: stored on first use, then remembered. Two first
/// connects at once both register; the first registration stored wins, and both use it.
async fn registration(
    app: &AppState,
    platform: Platform,
    server: &AccountServer,
    redirect_uri: &str,
) -> Result<(String, SecretString), ConnectError> {
    let instance = server.base();
    let context = format!("mastodon_apps:{instance}:client_secret");
    let find = || async {
        let row = sqlx::query(
            "SELECT client_id, client_secret_enc FROM mastodon_apps WHERE instance_url = $1 AND redirect_uri = $2",
        )
        .bind(&instance)
        .bind(redirect_uri)
        .fetch_optional(app.db.pool())
        .await?;
        row.map(|row| -> Result<_, ConnectError> {
            let sealed: Vec<u8> = row.try_get("client_secret_enc")?;
            let secret = app
                .secrets
                .open(&sealed, &context)
                .map_err(|e| ConnectError::Database(sqlx::Error::Decode(Box::new(e))))?;
            Ok((row.try_get("client_id")?, secret))
        })
        .transpose()
    };
    if let Some(found) = find().await? {
        return Ok(found);
    }
    let (client_id, secret) = adapter(platform)
        .register_client(app, server, redirect_uri)
        .await
        .map_err(provider_error(Stage::Register))?;
    sqlx::query(
        "INSERT INTO mastodon_apps (instance_url, redirect_uri, client_id, client_secret_enc, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance_url, redirect_uri) DO NOTHING",
    )
    .bind(&instance)
    .bind(redirect_uri)
    .bind(client_id)
    .bind(app.secrets.seal(&secret, &context))
    .bind(to_millis(Utc::now()))
    .execute(app.db.pool())
    .await?;
    Ok(find().await?.expect("just stored"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_longer_than_any_real_one_is_refused() {
        let long = format!("mastodon.example/{}", "a".repeat(2048));
        assert!(matches!(
            instance_url(&long),
            Err(ConnectError::Invalid {
                problem: FieldProblem::TooLong,
                ..
            })
        ));
    }

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
