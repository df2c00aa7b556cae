//! Avatars that cannot be linked to directly: a Telegram bot's picture is only reachable through
//! a URL containing the bot token, so Plugboard fetches it and serves the bytes itself.

use crate::connections::accounts;
use crate::net::http::{send_capped, MAX_BODY};
use crate::platforms::client::text_at;
use crate::platforms::failure::ProviderError;
use crate::AppState;
use domain::Platform;
use secrecy::ExposeSecret;
use serde_json::Value;

const MAX_AVATAR_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AvatarError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("telegram: {0}")]
    Provider(#[from] ProviderError),
}

/// The bot's picture as (content type, bytes), `None` when the account is not the owner's
/// Telegram bot or the bot has no picture.
pub async fn telegram_avatar(
    app: &AppState,
    owner_id: &str,
    account_id: &str,
) -> Result<Option<(String, Vec<u8>)>, AvatarError> {
    let mut conn = app.db.pool().acquire().await?;
    let Some(account) = accounts::find_owned(&mut conn, owner_id, account_id).await? else {
        return Ok(None);
    };
    if account.platform != Platform::Telegram {
        return Ok(None);
    }
    let Some(token) =
        accounts::open_secret(&mut conn, &app.secrets, account_id, "access_token").await?
    else {
        return Ok(None);
    };
    drop(conn);
    let api = app
        .config
        .providers
        .get(Platform::Telegram)
        .api_url
        .trim_end_matches('/')
        .to_owned();
    let bot = format!("{api}/bot{}", token.expose_secret());
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
        app.http
            .get(format!("{api}/file/bot{}/{path}", token.expose_secret())),
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
