//! Disconnecting an account. One transaction deletes the row (and with it every token), cancels
//! the scheduled posts it was the only target of, takes it out of the others, and writes the
//! `account.disconnected` event and the audit entry. Only then, outside the transaction, is the
//! grant revoked at the platform, best effort: a platform that is down never keeps an account.

use crate::connections::accounts::{self, AccountRecord};
use crate::events::audit;
use crate::events::webhooks;
use crate::identity::workspaces::Member;
use crate::platforms::adapters::adapter;
use crate::platforms::adapters::Kept;
use crate::platforms::catalog::ProviderSettings;
use crate::platforms::failure::ProviderError;
use crate::{posts, AppState};
use chrono::Utc;
use domain::AuditAction;
use domain::WebhookEvent;
use domain::{ConnectMethod, DisconnectPreview, Platform, Revocation};
use secrecy::SecretString;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Disconnected {
    pub platform: Platform,
    pub title: String,
    pub revocation: Revocation,
    pub connected_apps_url: Option<String>,
    pub posts_cancelled: Vec<String>,
    pub posts_continuing: Vec<String>,
}

/// Where the person removes Plugboard's access by hand. Mastodon's and Listmonk's pages are on
/// the account's own server.
pub fn connected_apps_url(record: &AccountRecord, settings: &ProviderSettings) -> Option<String> {
    let page = settings.spec().connected_apps_url.as_str();
    if !page.starts_with('/') {
        return Some(page.to_owned());
    }
    let server = record.known().own_server()?;
    Some(format!("{}{page}", server.trim_end_matches('/')))
}

/// Whether Plugboard can revoke this account's grant itself.
fn revocable(record: &AccountRecord, settings: &ProviderSettings) -> bool {
    settings.revoke_url.is_some() && !record.is_demo()
}

#[derive(Debug, thiserror::Error)]
pub enum DisconnectError {
    /// A member asked about an account someone else connected.
    #[error("the role does not allow disconnecting this account")]
    NotAllowed,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// What disconnecting would do, for the confirmation page. `None` if the account is not the
/// workspace's.
pub async fn preview(
    app: &AppState,
    actor: &Member,
    account_id: &str,
) -> Result<Option<DisconnectPreview>, DisconnectError> {
    let mut conn = app.db.pool().acquire().await?;
    let Some(record) = accounts::find_owned(&mut conn, actor.workspace_id(), account_id).await?
    else {
        return Ok(None);
    };
    if !actor.may_disconnect(record.connected_by.as_deref()) {
        return Err(DisconnectError::NotAllowed);
    }
    let (cancelled, continuing) = posts::disconnect_effect(&mut conn, account_id).await?;
    let settings = app.config.providers.get(record.platform);
    Ok(Some(DisconnectPreview {
        account: record.view(Utc::now()),
        posts_cancelled: u32::try_from(cancelled.len()).unwrap_or(u32::MAX),
        posts_continuing: u32::try_from(continuing.len()).unwrap_or(u32::MAX),
        revocable: revocable(&record, settings),
        connected_apps_url: connected_apps_url(&record, settings),
    }))
}

/// Disconnects one of the workspace's accounts, if the actor's role allows it. `None` if it is
/// not the workspace's (or already gone, as after a second click).
pub async fn disconnect(
    app: &AppState,
    actor: &Member,
    account_id: &str,
) -> Result<Option<Disconnected>, DisconnectError> {
    let workspace_id = actor.workspace_id();
    let mut tx = app.db.begin_write().await?;
    let Some(record) = accounts::find_owned(&mut tx, workspace_id, account_id).await? else {
        return Ok(None);
    };
    if !actor.may_disconnect(record.connected_by.as_deref()) {
        return Err(DisconnectError::NotAllowed);
    }
    let [access, refresh, _] =
        accounts::open_all_secrets(&mut tx, &app.secrets, account_id).await?;
    let (cancelled, continuing) = posts::remove_account(&mut tx, account_id).await?;
    sqlx::query("DELETE FROM connected_accounts WHERE id = $1 AND workspace_id = $2")
        .bind(account_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    let data = json!({
        "account_id": record.id,
        "platform": record.platform.slug(),
        "platform_account_id": record.platform_account_id,
        "username": record.username,
        "cancelled_post_ids": cancelled,
        "continuing_post_ids": continuing,
        "occurred_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    webhooks::record_event(
        &mut tx,
        workspace_id,
        WebhookEvent::AccountDisconnected,
        data,
        None,
    )
    .await?;
    let subject = audit::Subject {
        account_id: Some(&record.id),
        platform: Some(record.platform),
        detail: Some(&record.username),
    };
    audit::record(
        &mut tx,
        workspace_id,
        &actor.user.email,
        AuditAction::AccountDisconnected,
        subject,
    )
    .await?;
    tx.commit().await?;
    crate::events::changes::announce(app, workspace_id).await;

    let revocation = release(app, &record, access, refresh).await;
    let settings = app.config.providers.get(record.platform);
    Ok(Some(Disconnected {
        platform: record.platform,
        title: record.view(Utc::now()).title().to_owned(),
        connected_apps_url: connected_apps_url(&record, settings),
        revocation,
        posts_cancelled: cancelled,
        posts_continuing: continuing,
    }))
}

/// Ends Plugboard's grant at the platform once the account's row is gone: its session, then its
/// tokens where the platform can revoke them. Best effort: a platform that is down is logged.
async fn release(
    app: &AppState,
    record: &AccountRecord,
    access: Option<SecretString>,
    refresh: Option<SecretString>,
) -> Revocation {
    if let Some(refresh) = refresh.as_ref() {
        adapter(record.platform)
            .end_session(app, record.known(), refresh)
            .await;
    }
    let settings = app.config.providers.get(record.platform);
    let revocation = match access {
        Some(access) if revocable(record, settings) => {
            match revoke(app, record, &access, refresh.as_ref()).await {
                Ok(()) => Revocation::Revoked,
                Err(error) => {
                    tracing::warn!(account_id = %record.id, platform = record.platform.slug(), error = %error, "revoking at the platform failed; the account is disconnected");
                    Revocation::Failed
                }
            }
        }
        _ => Revocation::NotSupported,
    };
    metrics::counter!("plugboard_disconnects_total", "platform" => record.platform.slug(), "revocation" => revocation.as_str())
        .increment(1);
    revocation
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteWorkspaceError {
    #[error("only an owner may delete the workspace")]
    NotAllowed,
    /// The name typed to confirm is not the workspace's.
    #[error("the name typed does not match the workspace's")]
    NameMismatch,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// What deleting a workspace did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceDeleted {
    pub name: String,
    /// How many accounts were disconnected; their grants are being revoked in the background.
    pub accounts: usize,
}

/// How many platforms are asked at once to revoke a deleted workspace's grants.
const REVOCATIONS_AT_ONCE: usize = 4;

/// Deletes the actor's workspace and everything it owns (accounts and their tokens, keys,
/// webhooks, posts, links, invitations, the trail), if the actor is an owner and typed its name.
/// One transaction removes it all; then each account's grant is revoked at its platform in the
/// background, as a disconnect does. People who were in it land in another of their workspaces.
pub async fn delete_workspace(
    app: &AppState,
    actor: &Member,
    typed_name: &str,
) -> Result<WorkspaceDeleted, DeleteWorkspaceError> {
    if !actor.may(domain::Permission::ManageWorkspace) {
        return Err(DeleteWorkspaceError::NotAllowed);
    }
    if typed_name.trim() != actor.workspace.name {
        return Err(DeleteWorkspaceError::NameMismatch);
    }
    let workspace_id = actor.workspace_id();
    let mut tx = app.db.begin_write().await?;
    let records = accounts::list_owned_in(&mut tx, workspace_id).await?;
    let mut grants = Vec::with_capacity(records.len());
    for record in records {
        let [access, refresh, _] =
            accounts::open_all_secrets(&mut tx, &app.secrets, &record.id).await?;
        grants.push((record, access, refresh));
    }
    // Every table a workspace owns cascades from its row.
    sqlx::query("DELETE FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(workspace_id, by = %actor.user.id, accounts = grants.len(), "workspace deleted");

    let deleted = WorkspaceDeleted {
        name: actor.workspace.name.clone(),
        accounts: grants.len(),
    };
    let releasing = {
        let app = app.clone();
        async move {
            use futures::StreamExt;
            futures::stream::iter(grants)
                .for_each_concurrent(REVOCATIONS_AT_ONCE, |(record, access, refresh)| {
                    let app = &app;
                    async move {
                        release(app, &record, access, refresh).await;
                    }
                })
                .await;
        }
    };
    if !app
        .lifecycle
        .spawn("revoking a deleted workspace's grants", releasing)
    {
        tracing::warn!(
            workspace_id,
            "shutting down: the deleted workspace's grants were not revoked at their platforms"
        );
    }
    Ok(deleted)
}

async fn revoke(
    app: &AppState,
    record: &AccountRecord,
    access: &SecretString,
    refresh: Option<&SecretString>,
) -> Result<(), ProviderError> {
    let instance = record.known().kept(Kept::InstanceUrl);
    let client = match instance {
        Some(instance) if record.platform.connect_method() == ConnectMethod::OAuthOnTheirServer => {
            crate::connections::connect::client_on_their_server(app, record.platform, instance)
                .await
                .map_err(|error| {
                    ProviderError::unexpected(
                        error
                            .description()
                            .unwrap_or_else(|| "the instance's app is unknown".into()),
                    )
                })?
        }
        _ => app.provider_client(record.platform),
    };
    client
        .revoke(access, refresh)
        .await
        .unwrap_or_else(|| Err(ProviderError::unexpected("no revocation endpoint")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platforms::catalog::Providers;
    use serde_json::Value;

    fn record(platform: Platform, metadata: Value) -> AccountRecord {
        AccountRecord {
            metadata,
            ..AccountRecord::example(platform)
        }
    }

    fn providers() -> Providers {
        Providers::from_lookup(
            &|_| None,
            &url::Url::parse("http://localhost:3000").unwrap(),
            false,
        )
        .unwrap()
    }

    #[test]
    fn connected_apps_pages_are_absolute_or_on_the_accounts_own_server() {
        let providers = providers();
        let x = record(Platform::X, json!({}));
        assert_eq!(
            connected_apps_url(&x, providers.get(Platform::X)).as_deref(),
            Some("https://x.com/settings/connected_apps")
        );
        let toot = record(
            Platform::Mastodon,
            json!({"instance_url": "https://fosstodon.org/"}),
        );
        assert_eq!(
            connected_apps_url(&toot, providers.get(Platform::Mastodon)).as_deref(),
            Some("https://fosstodon.org/oauth/authorized_applications")
        );
        let list = record(
            Platform::Listmonk,
            json!({"base_url": "https://lists.example.com"}),
        );
        assert_eq!(
            connected_apps_url(&list, providers.get(Platform::Listmonk)).as_deref(),
            Some("https://lists.example.com/admin/users")
        );
        let lost = record(Platform::Mastodon, json!({}));
        assert_eq!(
            connected_apps_url(&lost, providers.get(Platform::Mastodon)),
            None
        );
    }

    #[test]
    fn only_platforms_with_an_endpoint_are_revoked_and_never_demo_rows() {
        let providers = providers();
        let revocable_platforms: Vec<Platform> = Platform::ALL
            .into_iter()
            .filter(|p| revocable(&record(*p, json!({})), providers.get(*p)))
            .collect();
        assert_eq!(
            revocable_platforms,
            [
                Platform::X,
                Platform::LinkedIn,
                Platform::YouTube,
                Platform::TikTok,
                Platform::Reddit,
                Platform::Slack,
                Platform::Mastodon
            ]
        );
        assert!(!revocable(
            &record(Platform::X, json!({"demo": true})),
            providers.get(Platform::X)
        ));
    }
}
