//! Bluesky: a handle and an app password open a session at the account's server (PDS); the
//! session's JWTs are the tokens, renewed with `refreshSession`, or with a new session from the
//! stored app password when the refresh JWT lapsed.

use super::{keep, Kept};
use super::{AccountServer, KnownAccount, PlatformAdapter};
use crate::net::http::{send_capped, Reply, MAX_BODY};
use crate::platforms::catalog;
use crate::platforms::catalog::SANDBOX_BLUESKY_APP_PASSWORD;
use crate::platforms::client::{text_at, Profile, TokenSet};
use crate::platforms::credentials::{
    check_with, field, json_answer, Checked, CredentialInput, CredentialProblem,
};
use crate::platforms::failure::{classify_reply, FailureKind, ProviderError};
use crate::platforms::servers::http_for_stored_url;
use crate::schedule::{access_lifetime, refresh_lifetime, Stated};
use crate::AppState;
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::{CredentialField, FieldProblem, Platform};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use url::Url;

pub(super) struct Bluesky;

#[async_trait]
impl PlatformAdapter for Bluesky {
    fn sandbox_hint(&self) -> Option<String> {
        Some(format!(
            "Sandbox: any handle (like ada.bsky.social) with the app password {SANDBOX_BLUESKY_APP_PASSWORD}."
        ))
    }

    async fn check_credentials(
        &self,
        server: &AccountServer,
        typed: &CredentialInput,
    ) -> Result<Checked, CredentialProblem> {
        create_session(
            server,
            typed.text(CredentialField::Identifier),
            &typed.secret(CredentialField::AppPassword),
        )
        .await
    }

    async fn abandon(&self, server: &AccountServer, refresh: &SecretString) {
        // Signed in as another account: end the session just made for it.
        if let Err(error) = end_session_at(server, refresh).await {
            tracing::warn!(error = %error, "ending an unwanted Bluesky session failed");
        }
    }

    async fn who_am_i(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        token: &SecretString,
    ) -> Result<(Value, Option<String>), ProviderError> {
        let settings = app.config.providers.get(account.platform);
        let pds = pds_of(app, account).await?;
        super::generic::answer_naming(
            settings,
            pds.http
                .get(format!("{}/xrpc/app.bsky.actor.getProfile", pds.base()))
                .query(&[("actor", account.platform_account_id)])
                .bearer_auth(token.expose_secret()),
            "/did",
        )
        .await
    }

    /// `refreshSession` at the account's own server (a typed URL, so through the address guard);
    /// if the refresh JWT lapsed or was revoked, the stored app password starts a new session.
    async fn renew_session(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        refresh: &SecretString,
        app_password: Option<&SecretString>,
    ) -> Result<TokenSet, ProviderError> {
        let pds = pds_of(app, account).await?;
        match refresh_session(&pds, refresh).await {
            Err(e) if e.kind == FailureKind::Terminal => {
                let Some(app_password) = app_password else {
                    return Err(e);
                };
                create_session(&pds, account.username, app_password)
                    .await
                    .map(|checked| checked.tokens)
                    .map_err(|problem| match problem {
                        CredentialProblem::Provider(error) => error,
                        _ => e,
                    })
            }
            result => result,
        }
    }

    /// Ends Plugboard's session, best effort: the account is gone whatever the PDS says.
    async fn end_session(&self, app: &AppState, account: KnownAccount<'_>, refresh: &SecretString) {
        let ended = match pds_of(app, account).await {
            Ok(pds) => end_session_at(&pds, refresh).await,
            Err(error) => Err(error),
        };
        if let Err(error) = ended {
            tracing::warn!(account_id = %account.id, error = %error, "ending the Bluesky session failed; the account is disconnected");
        }
    }
}

/// The account's PDS (the one it was connected at, else the configured one), with a client
/// through the address guard: it is a URL a person typed.
async fn pds_of(app: &AppState, account: KnownAccount<'_>) -> Result<AccountServer, ProviderError> {
    let settings = app.config.providers.get(account.platform);
    let pds = account.kept(Kept::PdsUrl).unwrap_or(&settings.api_url);
    let url = Url::parse(pds)
        .map_err(|_| ProviderError::unexpected("the stored server address is not a URL"))?;
    let http = http_for_stored_url(app, settings, pds).await?;
    Ok(AccountServer { url, http })
}

/// A Bluesky handle (with or without `@`), an email, or a DID.
pub fn check_bluesky_identifier(identifier: &str) -> Result<String, CredentialProblem> {
    let identifier = identifier.trim().trim_start_matches('@').to_owned();
    let looks_ok = identifier.starts_with("did:")
        || (identifier.contains('.')
            && identifier.len() <= 253
            && identifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '@' | '_' | '+')));
    if looks_ok {
        Ok(identifier)
    } else {
        Err(field(
            CredentialField::Identifier,
            FieldProblem::InvalidIdentifier,
        ))
    }
}

/// App passwords look like `abcd-efgh-ijkl-mnop`. Plugboard refuses the account password itself:
/// an app password can be revoked on its own and cannot change account settings.
pub fn check_app_password(password: &str) -> Result<(), CredentialProblem> {
    let groups: Vec<&str> = password.trim().split('-').collect();
    let ok = groups.len() == 4
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(field(
            CredentialField::AppPassword,
            FieldProblem::NotAppPassword,
        ))
    }
}

/// `createSession` with the app password, then `getProfile` for the name and avatar.
async fn create_session(
    server: &AccountServer,
    identifier: &str,
    app_password: &SecretString,
) -> Result<Checked, CredentialProblem> {
    let identifier = check_bluesky_identifier(identifier)?;
    check_app_password(app_password.expose_secret())?;
    let base = server.base();
    let http = &server.http;
    let session = check_with(
        http.post(format!("{base}/xrpc/com.atproto.server.createSession"))
            .json(&json!({"identifier": identifier, "password": app_password.expose_secret()})),
        Platform::Bluesky,
        &[400, 401],
        CredentialField::AppPassword,
    )
    .await?;
    let (did, handle) = match (text_at(&session, "/did"), text_at(&session, "/handle")) {
        (Some(did), Some(handle)) => (did, handle),
        _ => {
            return Err(CredentialProblem::Provider(ProviderError::unexpected(
                "the session is incomplete",
            )))
        }
    };
    let tokens = bluesky_tokens(&session, Utc::now()).map_err(CredentialProblem::Provider)?;
    // The name and avatar are a nicety: a failure here does not stop the connect.
    let profile = send_capped(
        http.get(format!("{base}/xrpc/app.bsky.actor.getProfile"))
            .query(&[("actor", did.as_str())])
            .bearer_auth(tokens.access_token.expose_secret()),
        MAX_BODY,
    )
    .await
    .ok()
    .and_then(|reply| json_answer(Platform::Bluesky, &reply).ok())
    .unwrap_or(Value::Null);
    Ok(Checked {
        profile: Profile {
            platform_account_id: did,
            username: handle,
            display_name: text_at(&profile, "/displayName"),
            avatar_url: text_at(&profile, "/avatar"),
            is_premium: false,
            own_token: None,
        },
        tokens,
        metadata: keep([(Kept::PdsUrl, base.as_str())]),
        extra_secret: Some(app_password.clone()),
    })
}

/// The token pair in a Bluesky session (`createSession` or `refreshSession`), with lifetimes
/// from the JWTs' `exp`. An access JWT whose `exp` is missing, unreadable or absurd is believed to
/// live Bluesky's usual two hours, never forever.
pub fn bluesky_tokens(session: &Value, now: DateTime<Utc>) -> Result<TokenSet, ProviderError> {
    let (Some(access), Some(refresh)) = (
        text_at(session, "/accessJwt"),
        text_at(session, "/refreshJwt"),
    ) else {
        return Err(ProviderError::unexpected("the session is incomplete"));
    };
    let life = |jwt: &str| Stated::until(jwt_exp(jwt), now);
    Ok(TokenSet {
        expires_in: access_lifetime(
            match life(&access) {
                Stated::Absent => Stated::Unreadable,
                stated => stated,
            },
            catalog::spec(Platform::Bluesky).default_access_lifetime(),
        ),
        refresh_expires_in: refresh_lifetime(life(&refresh)),
        access_token: SecretString::from(access),
        refresh_token: Some(SecretString::from(refresh)),
        scope: None,
    })
}

/// `refreshSession` with the refresh JWT gives a new pair (the old refresh JWT stops working:
/// it rotates).
async fn refresh_session(
    pds: &AccountServer,
    refresh_jwt: &SecretString,
) -> Result<TokenSet, ProviderError> {
    let reply = with_refresh_jwt(pds, "com.atproto.server.refreshSession", refresh_jwt).await?;
    let session = json_answer(Platform::Bluesky, &reply)?;
    bluesky_tokens(&session, Utc::now())
}

/// A Bluesky procedure authorized by the session's refresh JWT.
async fn with_refresh_jwt(
    pds: &AccountServer,
    method: &str,
    refresh_jwt: &SecretString,
) -> Result<Reply, ProviderError> {
    let url = format!("{}/xrpc/{method}", pds.base());
    send_capped(
        pds.http.post(url).bearer_auth(refresh_jwt.expose_secret()),
        MAX_BODY,
    )
    .await
    .map_err(ProviderError::from)
}

/// `deleteSession` with the refresh JWT ends that session (the app password it was made with
/// stays: only the person can delete it).
async fn end_session_at(
    pds: &AccountServer,
    refresh_jwt: &SecretString,
) -> Result<(), ProviderError> {
    let reply = with_refresh_jwt(pds, "com.atproto.server.deleteSession", refresh_jwt).await?;
    if reply.is_success() {
        Ok(())
    } else {
        Err(classify_reply(&reply, catalog::spec(Platform::Bluesky)))
    }
}

/// The `exp` claim of a JWT, read without verifying it (only to schedule a refresh): an
/// unreadable token or claim is [`Stated::Unreadable`], a missing one [`Stated::Absent`].
pub fn jwt_exp(jwt: &str) -> Stated {
    let claims = jwt
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    match claims {
        Some(claims) if claims.is_object() => Stated::from_json(claims.get("exp")),
        _ => Stated::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bluesky_identifiers() {
        assert_eq!(
            check_bluesky_identifier("@ada.bsky.social").unwrap(),
            "ada.bsky.social"
        );
        assert_eq!(
            check_bluesky_identifier("ada@example.com").unwrap(),
            "ada@example.com"
        );
        assert!(check_bluesky_identifier("did:plc:abc123").is_ok());
        assert!(check_bluesky_identifier("ada").is_err());
        assert!(check_bluesky_identifier("ada smith.bsky.social").is_err());
    }

    #[test]
    fn app_passwords_not_account_passwords() {
        assert!(check_app_password("abcd-efgh-ijkl-mnop").is_ok());
        assert!(check_app_password("hunter2hunter2").is_err());
        assert!(check_app_password("abcd-efgh-ijkl").is_err());
    }

    #[test]
    fn jwt_exp_reads_the_claim() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"exp":1800000000,"sub":"did:plc:x"}"#);
        assert_eq!(
            jwt_exp(&format!("e30.{payload}.sig")),
            Stated::Seconds(1_800_000_000)
        );
        assert_eq!(jwt_exp("garbage"), Stated::Unreadable);
        let no_exp = URL_SAFE_NO_PAD.encode(br#"{"sub":"did:plc:x"}"#);
        assert_eq!(jwt_exp(&format!("e30.{no_exp}.sig")), Stated::Absent);
    }

    fn jwt(claims: Value) -> String {
        format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn a_bluesky_session_with_a_null_string_or_past_exp_is_not_forever() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let usual = chrono::Duration::hours(2);
        for exp in [
            json!(null),
            json!("tomorrow"),
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(i64::MAX),
            json!(1e300),
        ] {
            let session = json!({
                "accessJwt": jwt(json!({"exp": exp})),
                "refreshJwt": jwt(json!({"exp": exp})),
            });
            let tokens = bluesky_tokens(&session, now).unwrap();
            assert_eq!(tokens.expires_in, Some(usual), "exp {exp}");
            assert_eq!(tokens.refresh_expires_in, None, "exp {exp}");
        }
        let session = json!({
            "accessJwt": jwt(json!({"exp": now.timestamp() + 600})),
            "refreshJwt": jwt(json!({"exp": now.timestamp() + 86_400})),
        });
        let tokens = bluesky_tokens(&session, now).unwrap();
        assert_eq!(tokens.expires_in, Some(chrono::Duration::minutes(10)));
        assert_eq!(tokens.refresh_expires_in, Some(chrono::Duration::days(1)));
    }
}
