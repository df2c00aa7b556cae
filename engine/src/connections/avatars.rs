//! Avatars that cannot be linked to directly (a Telegram bot's picture is only reachable through
//! a URL containing the bot token): Plugboard fetches them through the platform's adapter and
//! serves the bytes itself.

use crate::connections::accounts;
use crate::platforms::adapters::adapter;
use crate::platforms::failure::ProviderError;
use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum AvatarError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("platform: {0}")]
    Provider(#[from] ProviderError),
}

/// The account's picture as (content type, bytes); `None` when the account is not the owner's,
/// its platform's pictures are linked directly, or it has no picture.
pub async fn proxied_avatar(
    app: &AppState,
    workspace_id: &str,
    account_id: &str,
) -> Result<Option<(String, Vec<u8>)>, AvatarError> {
    let mut conn = app.db.pool().acquire().await?;
    let Some(account) = accounts::find_owned(&mut conn, workspace_id, account_id).await? else {
        return Ok(None);
    };
    let adapter = adapter(account.platform);
    if !adapter.proxies_avatar() {
        return Ok(None);
    }
    let Some(token) = accounts::open_secret(
        &mut conn,
        &app.secrets,
        account_id,
        accounts::Sealed::AccessToken,
    )
    .await?
    else {
        return Ok(None);
    };
    drop(conn);
    Ok(adapter.avatar(app, account.known(), &token).await?)
}
