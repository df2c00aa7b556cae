//! Telegram: a bot token from BotFather is the whole credential; `getMe` proves it and names the
//! bot. The bot's picture is only reachable through URLs that carry the token, so Plugboard
//! fetches it and serves the bytes itself.

use super::{AccountServer, KnownAccount, PlatformAdapter};
use crate::net::http::{send_capped, MAX_BODY};
use crate::platforms::catalog::SANDBOX_TELEGRAM_BOT_TOKEN;
use crate::platforms::client::{text_at, Profile, TokenSet};
use crate::platforms::credentials::{
    check_with, field, Checked, CredentialInput, CredentialProblem,
};
use crate::platforms::failure::ProviderError;
use crate::AppState;
use async_trait::async_trait;
use domain::{ConnectedAccount, CredentialField, FieldProblem, Platform};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

const MAX_AVATAR_BYTES: usize = 2 * 1024 * 1024;

pub(super) struct Telegram;

#[async_trait]
impl PlatformAdapter for Telegram {
    fn sandbox_hint(&self) -> Option<String> {
        Some(format!(
            "Sandbox: the bot token {SANDBOX_TELEGRAM_BOT_TOKEN}."
        ))
    }

    fn shown(&self, account: KnownAccount<'_>, shown: &mut ConnectedAccount) {
        // The picture's URL carries the bot token: Plugboard serves it through a proxy.
        shown.profile_image_url = Some(format!("/api/v1/accounts/{}/avatar", account.id));
    }

    fn proxies_avatar(&self) -> bool {
        true
    }

    async fn check_credentials(
        &self,
        server: &AccountServer,
        typed: &CredentialInput,
    ) -> Result<Checked, CredentialProblem> {
        let token = check_bot_token(typed.text(CredentialField::BotToken))?;
        let url = format!("{}/bot{token}/getMe", server.base());
        // The token is in the URL: transport errors are reported without it (see `from_transport`).
        let body = check_with(
            server.http.get(url),
            Platform::Telegram,
            &[401, 404],
            CredentialField::BotToken,
        )
        .await?;
        telegram_bot(&body, token)
    }

    async fn who_am_i(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        token: &SecretString,
    ) -> Result<(Value, Option<String>), ProviderError> {
        let settings = app.config.providers.get(account.platform);
        super::generic::answer_naming(
            settings,
            app.http.get(format!("{}/getMe", bot_url(app, token))),
            "/result/id",
        )
        .await
    }

    async fn avatar(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        token: &SecretString,
    ) -> Result<Option<(String, Vec<u8>)>, ProviderError> {
        let bot = bot_url(app, token);
        let get_json = |url: String| async move {
            let reply = send_capped(app.http.get(url), MAX_BODY).await?;
            serde_json::from_slice::<Value>(&reply.body)
                .map_err(|_| ProviderError::unexpected("the answer is not JSON"))
        };
        let photos = get_json(format!(
            "{bot}/getUserProfilePhotos?user_id={}&limit=1",
            account.platform_account_id
        ))
        .await?;
        // The first photo's sizes, smallest first: the first one at least 96 pixels wide will do.
        let sizes = photos
            .pointer("/result/photos/0")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(size) = sizes
            .iter()
            .find(|s| s.get("width").and_then(Value::as_i64).unwrap_or(0) >= 96)
            .or(sizes.last())
        else {
            return Ok(None);
        };
        let Some(file_id) = text_at(size, "/file_id") else {
            return Ok(None);
        };
        let file = get_json(format!("{bot}/getFile?file_id={file_id}")).await?;
        let Some(path) = text_at(&file, "/result/file_path") else {
            return Ok(None);
        };
        let picture = send_capped(
            app.http.get(format!(
                "{}/file/bot{}/{path}",
                api_url(app),
                token.expose_secret()
            )),
            MAX_AVATAR_BYTES,
        )
        .await
        .map_err(ProviderError::from)?;
        let content_type = picture.content_type().unwrap_or("image/jpeg").to_owned();
        if !content_type.starts_with("image/") || !picture.is_success() {
            return Ok(None);
        }
        Ok(Some((content_type, picture.body)))
    }
}

fn api_url(app: &AppState) -> String {
    app.config
        .providers
        .get(Platform::Telegram)
        .api_url
        .trim_end_matches('/')
        .to_owned()
}

/// The Bot API's base for this bot (it holds the token: never logged).
fn bot_url(app: &AppState, token: &SecretString) -> String {
    format!("{}/bot{}", api_url(app), token.expose_secret())
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
        Err(field(
            CredentialField::BotToken,
            FieldProblem::InvalidBotToken,
        ))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_tokens() {
        assert!(check_bot_token(" 123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ac ").is_ok());
        assert!(check_bot_token("123:short").is_err());
        assert!(check_bot_token("not a token").is_err());
    }
}
