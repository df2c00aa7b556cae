//! Platforms connected with credentials a person types: Bluesky (handle + app password), Telegram
//! (a bot token) and Listmonk (server, API user, token). Each is checked against the platform
//! before anything is stored.

use crate::net::http::{send_capped, Reply, MAX_BODY};
use crate::platforms::catalog;
use crate::platforms::client::{text_at, Profile, TokenSet};
use crate::platforms::failure::{classify_reply, FailureKind, ProviderError};
use crate::schedule::{access_lifetime, refresh_lifetime, Stated};
use crate::AppState;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::FieldProblem;
use domain::Platform;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use url::Url;

/// What a successful check yields, ready to store.
#[derive(Debug)]
pub struct Checked {
    pub profile: Profile,
    pub tokens: TokenSet,
    pub metadata: Value,
    /// Kept sealed beside the tokens (Bluesky's app password, to start a new session if the
    /// refresh token ever lapses).
    pub extra_secret: Option<SecretString>,
}

/// What is wrong with typed credentials. Codes, not words: the form page says them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialProblem {
    /// A field is malformed; nothing was sent anywhere.
    Field {
        field: &'static str,
        problem: FieldProblem,
    },
    /// The platform said no to these credentials.
    Refused {
        field: &'static str,
    },
    Provider(ProviderError),
}

fn field(field: &'static str, problem: FieldProblem) -> CredentialProblem {
    CredentialProblem::Field { field, problem }
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
        Err(field("identifier", FieldProblem::InvalidIdentifier))
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
        Err(field("app_password", FieldProblem::NotAppPassword))
    }
}

/// BotFather's tokens look like `123456789:AA...` (a bot id, a colon, a 35-character secret).
pub fn check_bot_token(token: &str) -> Result<String, CredentialProblem> {
    let token = token.trim();
    let ok = token.split_once(':').is_some_and(|(id, secret)| {
        id.len() >= 5
            && id.chars().all(|c| c.is_ascii_digit())
            && secret.len() >= 30
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if ok {
        Ok(token.to_owned())
    } else {
        Err(field("bot_token", FieldProblem::InvalidBotToken))
    }
}

/// A server address a person typed: http(s), a host, and nothing that could smuggle anything
/// else in (no user name or password, no query, no fragment).
pub fn check_base_url(base: &str, field_name: &'static str) -> Result<Url, CredentialProblem> {
    let url = Url::parse(base.trim()).map_err(|_| field(field_name, FieldProblem::InvalidUrl))?;
    if !is_plain_server_url(&url) {
        return Err(field(field_name, FieldProblem::InvalidUrl));
    }
    Ok(url)
}

/// http(s), a host, no user-info, query or fragment.
pub fn is_plain_server_url(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
}

/// Sends a credential check and reads its JSON answer. The statuses in `refused` mean the platform
/// said no to what was typed in `field`; any other failure is classified like every platform call.
async fn check_with(
    request: reqwest::RequestBuilder,
    platform: Platform,
    refused: &[u16],
    field: &'static str,
) -> Result<Value, CredentialProblem> {
    let reply = send_capped(request, MAX_BODY)
        .await
        .map_err(|e| CredentialProblem::Provider(e.into()))?;
    if refused.contains(&reply.status) {
        return Err(CredentialProblem::Refused { field });
    }
    json_answer(platform, &reply).map_err(CredentialProblem::Provider)
}

/// A successful answer as JSON, or the failure class of an unsuccessful one.
pub fn json_answer(platform: Platform, reply: &Reply) -> Result<Value, ProviderError> {
    if !reply.is_success() {
        return Err(classify_reply(reply, catalog::spec(platform)));
    }
    serde_json::from_slice(&reply.body)
        .map_err(|_| ProviderError::unexpected("the answer is not JSON"))
}

fn base_str(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Bluesky: `createSession` with the app password, then `getProfile` for the name and avatar.
pub async fn bluesky(
    http: &reqwest::Client,
    pds: &Url,
    identifier: &str,
    app_password: &SecretString,
) -> Result<Checked, CredentialProblem> {
    let identifier = check_bluesky_identifier(identifier)?;
    check_app_password(app_password.expose_secret())?;
    let base = base_str(pds);
    let session = check_with(
        http.post(format!("{base}/xrpc/com.atproto.server.createSession"))
            .json(&json!({"identifier": identifier, "password": app_password.expose_secret()})),
        Platform::Bluesky,
        &[400, 401],
        "app_password",
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
        metadata: json!({ "pds_url": base }),
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

/// Bluesky's refresh: `refreshSession` with the refresh JWT gives a new pair (the old refresh JWT
/// stops working: it rotates).
pub async fn bluesky_refresh(
    http: &reqwest::Client,
    pds: &str,
    refresh_jwt: &SecretString,
) -> Result<TokenSet, ProviderError> {
    let reply =
        with_refresh_jwt(http, pds, "com.atproto.server.refreshSession", refresh_jwt).await?;
    let session = json_answer(Platform::Bluesky, &reply)?;
    bluesky_tokens(&session, Utc::now())
}

/// A Bluesky procedure authorized by the session's refresh JWT.
async fn with_refresh_jwt(
    http: &reqwest::Client,
    pds: &str,
    method: &str,
    refresh_jwt: &SecretString,
) -> Result<Reply, ProviderError> {
    let url = format!("{}/xrpc/{method}", pds.trim_end_matches('/'));
    send_capped(
        http.post(url).bearer_auth(refresh_jwt.expose_secret()),
        MAX_BODY,
    )
    .await
    .map_err(ProviderError::from)
}

/// Bluesky: `deleteSession` with the refresh JWT ends that session (the app password it was made
/// with stays: only the person can delete it).
pub async fn bluesky_end_session(
    http: &reqwest::Client,
    pds: &str,
    refresh_jwt: &SecretString,
) -> Result<(), ProviderError> {
    let reply =
        with_refresh_jwt(http, pds, "com.atproto.server.deleteSession", refresh_jwt).await?;
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

/// Telegram: `getMe` proves the token and names the bot.
pub async fn telegram(
    http: &reqwest::Client,
    api_url: &str,
    bot_token: &SecretString,
) -> Result<Checked, CredentialProblem> {
    let token = check_bot_token(bot_token.expose_secret())?;
    let url = format!("{}/bot{token}/getMe", api_url.trim_end_matches('/'));
    // The token is in the URL: transport errors are reported without it (see `from_transport`).
    let body = check_with(http.get(url), Platform::Telegram, &[401, 404], "bot_token").await?;
    telegram_bot(&body, token)
}

/// The bot that Telegram's `getMe` answer names.
pub fn telegram_bot(body: &Value, token: String) -> Result<Checked, CredentialProblem> {
    let (Some(id), Some(username)) = (
        text_at(body, "/result/id"),
        text_at(body, "/result/username"),
    ) else {
        return Err(CredentialProblem::Provider(ProviderError::unexpected(
            "getMe named no bot",
        )));
    };
    Ok(Checked {
        profile: Profile {
            platform_account_id: id.clone(),
            username: format!("@{username}"),
            display_name: text_at(body, "/result/first_name"),
            avatar_url: None,
            is_premium: false,
            own_token: None,
        },
        tokens: TokenSet {
            access_token: SecretString::from(token),
            refresh_token: None,
            expires_in: None,
            refresh_expires_in: None,
            scope: None,
        },
        metadata: json!({ "telegram_bot_id": id }),
        extra_secret: None,
    })
}

/// Listmonk: an authenticated read proves the API user and token.
pub async fn listmonk(
    http: &reqwest::Client,
    base: &Url,
    api_user: &str,
    token: &SecretString,
) -> Result<Checked, CredentialProblem> {
    let api_user = api_user.trim();
    if api_user.is_empty() || api_user.contains(':') {
        return Err(field("api_user", FieldProblem::InvalidApiUser));
    }
    if token.expose_secret().trim().is_empty() {
        return Err(field("token", FieldProblem::MissingToken));
    }
    let base = base_str(base);
    let authorization = format!("token {api_user}:{}", token.expose_secret().trim());
    check_with(
        http.get(format!("{base}/api/lists"))
            .query(&[("per_page", "1")])
            .header(reqwest::header::AUTHORIZATION, authorization),
        Platform::Listmonk,
        &[401, 403],
        "token",
    )
    .await?;
    let host = Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| base.clone());
    Ok(Checked {
        profile: Profile {
            platform_account_id: format!("{base}#{api_user}"),
            username: api_user.to_owned(),
            display_name: Some(host),
            avatar_url: None,
            is_premium: false,
            own_token: None,
        },
        tokens: TokenSet {
            access_token: SecretString::from(token.expose_secret().trim().to_owned()),
            refresh_token: None,
            expires_in: None,
            refresh_expires_in: None,
            scope: None,
        },
        metadata: json!({ "base_url": base, "api_user": api_user }),
        extra_secret: None,
    })
}

/// Bluesky: `refreshSession` at the account's own server (a typed URL, so through the address
/// guard); if the refresh JWT lapsed or was revoked, the stored app password starts a new session.
pub async fn bluesky_session(
    app: &AppState,
    pds: &str,
    handle: &str,
    refresh: &SecretString,
    app_password: Option<&SecretString>,
) -> Result<TokenSet, ProviderError> {
    let settings = app.config.providers.get(Platform::Bluesky);
    let http = crate::platforms::servers::http_for_stored_url(app, settings, pds).await?;
    match bluesky_refresh(&http, pds, refresh).await {
        Err(e) if e.kind == FailureKind::Terminal => {
            let (Some(app_password), Ok(pds_url)) = (app_password, url::Url::parse(pds)) else {
                return Err(e);
            };
            bluesky(&http, &pds_url, handle, app_password)
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
    fn bot_tokens() {
        assert!(check_bot_token(" 123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ac ").is_ok());
        assert!(check_bot_token("123:short").is_err());
        assert!(check_bot_token("not a token").is_err());
    }

    #[test]
    fn base_urls() {
        assert!(check_base_url("https://lists.example.com/", "base_url").is_ok());
        assert!(check_base_url("lists.example.com", "base_url").is_err());
        assert!(check_base_url("ftp://lists.example.com", "base_url").is_err());
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

    #[test]
    fn typed_server_urls_carry_nothing_but_a_server() {
        for bad in [
            "https://user:pw@lists.example.com",
            "https://user@lists.example.com",
            "https://lists.example.com/?next=x",
            "https://lists.example.com/#frag",
        ] {
            assert!(check_base_url(bad, "base_url").is_err(), "{bad}");
        }
        assert!(check_base_url("https://lists.example.com/listmonk", "base_url").is_ok());
    }
}
