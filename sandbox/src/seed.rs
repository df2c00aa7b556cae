//! Accounts whose tokens the stand-ins accept, in bulk: for `plugboard dev seed-sandbox`, the
//! refresh benchmark and the tests.

use crate::Sandbox;
use domain::{Platform, StoredTokenStatus};
use engine::connections::accounts::NewAccount;
use engine::AppState;
use secrecy::SecretString;

/// Seeds `count` accounts of `platform` for `owner`, with tokens the sandbox accepts.
pub async fn seed_accounts(
    app: &AppState,
    sandbox: &Sandbox,
    workspace_id: &str,
    platform: Platform,
    count: usize,
    next_refresh_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let mut tx = app.db.begin_write().await?;
        for n in chunk {
            let account = NewAccount {
                platform,
                platform_account_id: format!("sandbox-{}-{n}", engine::storage::db::new_id()),
                username: format!("sandbox_{n}"),
                display_name: Some(format!("Sandbox account {n}")),
                profile_image_url: None,
                token_expires_at: Some(now + chrono::Duration::hours(1)),
                token_status: StoredTokenStatus::Active,
                is_x_premium: false,
                access_token: Some(SecretString::from(sandbox.issue_token(
                    platform,
                    "ada",
                    false,
                    Some(3600),
                ))),
                refresh_token: Some(SecretString::from(sandbox.issue_token(
                    platform,
                    "ada",
                    true,
                    Some(86_400),
                ))),
                refresh_token_expires_at: None,
                extra_secret: None,
                granted_scopes: None,
                metadata: serde_json::json!({}),
                next_refresh_at: Some(next_refresh_at),
            };
            engine::connections::accounts::insert(
                &mut tx,
                &app.secrets,
                workspace_id,
                None,
                account,
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
