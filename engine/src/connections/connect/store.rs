//! Storing a connection: one row per (workspace, platform, platform account), updated in place on
//! reconnect, within the plan's limits.

use super::error::ConnectError;
use super::Connector;
use crate::connections::accounts::{self, NewAccount};
use crate::platforms::client::{Profile, TokenSet};
use crate::storage::db::Backend;
use crate::AppState;
use chrono::Utc;
use domain::AuditAction;
use domain::WebhookEvent;
use domain::{check_connect, ConnectKind, LimitDecision, Platform, StoredTokenStatus};
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::AnyConnection;

/// Stores a connection in one transaction: the workspace's row is locked (PostgreSQL; SQLite's write
/// transaction is exclusive already), the limit is checked against the current count, and the
/// account is inserted, or updated in place when the workspace already has it.
pub async fn store(
    app: &AppState,
    who: &Connector,
    reconnect_account_id: Option<&str>,
    mut account: NewAccount,
) -> Result<ConnectKind, ConnectError> {
    let platform = account.platform;
    let workspace_id = who.workspace_id.as_str();
    let mut tx = app.db.begin_write().await?;
    if app.db.backend() == Backend::Postgres {
        sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    let existing = accounts::find_by_identity(
        &mut tx,
        workspace_id,
        platform,
        &account.platform_account_id,
    )
    .await?;
    if let Some(target_id) = reconnect_account_id {
        let target = accounts::find_owned(&mut tx, workspace_id, target_id)
            .await?
            .filter(|t| t.platform == platform)
            .ok_or(ConnectError::AccountNotFound)?;
        if target.platform_account_id != account.platform_account_id {
            return Err(ConnectError::Mismatch);
        }
    }
    let had_refresh_token = match &existing {
        Some(existing) => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 AND refresh_token_enc IS NOT NULL",
        )
        .bind(&existing.id)
        .fetch_one(&mut *tx)
        .await?
            > 0,
        None => false,
    };
    account.next_refresh_at = crate::platforms::catalog::next_refresh_for(
        platform,
        account.refresh_token.is_some() || had_refresh_token,
        Utc::now(),
        account.token_expires_at,
    );
    let event = json!({
        "platform": platform.slug(),
        "username": account.username,
        "occurred_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let (kind, id) = match existing {
        Some(existing) => {
            account.metadata = merged(&existing.metadata, account.metadata);
            accounts::update_reconnected(&mut tx, &app.secrets, &existing.id, account).await?;
            (ConnectKind::Reconnect, existing.id)
        }
        None => {
            check_limit_in(&mut tx, workspace_id, platform).await?;
            let id = accounts::insert(
                &mut tx,
                &app.secrets,
                workspace_id,
                who.user_id.as_deref(),
                account,
            )
            .await?;
            (ConnectKind::New, id)
        }
    };
    let username = event["username"].as_str().unwrap_or_default().to_owned();
    let mut data = event;
    data["account_id"] = json!(id);
    let (kind_name, audit_action) = match kind {
        ConnectKind::New => (
            WebhookEvent::AccountConnected,
            AuditAction::AccountConnected,
        ),
        ConnectKind::Reconnect => (
            WebhookEvent::AccountReconnected,
            AuditAction::AccountReconnected,
        ),
    };
    crate::events::webhooks::record_event(&mut tx, workspace_id, kind_name, data, None).await?;
    let subject = crate::events::audit::Subject {
        account_id: Some(&id),
        platform: Some(platform),
        detail: Some(&username),
    };
    if let Some(link) = &who.link_id {
        use_link(&mut tx, link, &id).await?;
    }
    crate::events::audit::record(&mut tx, workspace_id, &who.actor, audit_action, subject).await?;
    tx.commit().await?;
    crate::events::changes::announce(app, workspace_id).await;
    Ok(kind)
}

pub(super) async fn check_limit_in(
    conn: &mut AnyConnection,
    workspace_id: &str,
    platform: Platform,
) -> Result<(), ConnectError> {
    let plan_id: String = sqlx::query_scalar("SELECT plan_id FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
    let (plan_name, limits) = crate::connections::plans::limits_of(conn, &plan_id).await?;
    let usage = accounts::usage(conn, workspace_id).await?;
    match check_connect(&limits, &usage, platform, ConnectKind::New) {
        LimitDecision::Allowed => Ok(()),
        refused => Err(ConnectError::Limit(
            refused.explain(&plan_name).unwrap_or_default(),
        )),
    }
}

/// Counts a connect through a link, in the transaction that stores the account: a link used up,
/// revoked or expired in the meantime stores nothing.
async fn use_link(
    conn: &mut AnyConnection,
    link: &str,
    account_id: &str,
) -> Result<(), ConnectError> {
    let now = crate::storage::db::to_millis(Utc::now());
    let counted = sqlx::query(
        "UPDATE connect_links SET uses = uses + 1
         WHERE id = $1 AND uses < max_uses AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(link)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if counted.rows_affected() == 0 {
        return Err(ConnectError::LinkUnusable);
    }
    sqlx::query("UPDATE connected_accounts SET connect_link_id = $1 WHERE id = $2")
        .bind(link)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// New metadata over old: what the platform said now wins, what it did not say is kept.
pub(super) fn merged(old: &Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut out = old.clone();
            out.extend(new);
            Value::Object(out)
        }
        (_, new) => new,
    }
}

/// Refuses a connect that would go over the plan (reconnects never count).
pub(super) async fn check_limit(
    app: &AppState,
    who: &Connector,
    platform: Platform,
) -> Result<(), ConnectError> {
    let plan =
        crate::connections::plans::summary_for(&app.db, &who.workspace_id, &who.plan_id).await?;
    match check_connect(&plan.limits, &plan.usage, platform, ConnectKind::New)
        .explain(&plan.plan_name)
    {
        Some(reason) => Err(ConnectError::Limit(reason)),
        None => Ok(()),
    }
}

/// The account a Reconnect button names, which must be the owner's and on this platform.
pub(super) async fn reconnect_target(
    app: &AppState,
    who: &Connector,
    platform: Platform,
    account_id: &str,
) -> Result<accounts::AccountRecord, ConnectError> {
    let mut conn = app.db.pool().acquire().await?;
    accounts::find_owned(&mut conn, &who.workspace_id, account_id)
        .await?
        .filter(|account| account.platform == platform)
        .ok_or(ConnectError::AccountNotFound)
}

/// Turns what a platform returned into a row to store.
pub(super) fn connection(
    platform: Platform,
    profile: Profile,
    tokens: TokenSet,
    metadata: Value,
    extra_secret: Option<SecretString>,
) -> NewAccount {
    let now = Utc::now();
    let platform_token = profile.own_token.clone();
    NewAccount {
        platform,
        platform_account_id: profile.platform_account_id,
        username: profile.username,
        display_name: profile.display_name,
        profile_image_url: profile.avatar_url,
        // A Page's own token does not expire; a person's token expires as the platform says.
        token_expires_at: if platform_token.is_some() {
            None
        } else {
            tokens
                .expires_in
                .map(|life| crate::schedule::after(now, life))
        },
        token_status: StoredTokenStatus::Active,
        is_x_premium: profile.is_premium,
        refresh_token_expires_at: tokens
            .refresh_expires_in
            .map(|life| crate::schedule::after(now, life)),
        refresh_token: if platform_token.is_some() {
            None
        } else {
            tokens.refresh_token
        },
        access_token: Some(platform_token.unwrap_or(tokens.access_token)),
        extra_secret,
        granted_scopes: tokens.scope,
        metadata,
        next_refresh_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_merges_new_over_old() {
        let old = json!({"a": 1, "b": 2});
        assert_eq!(
            merged(&old, json!({"b": 3, "c": 4})),
            json!({"a": 1, "b": 3, "c": 4})
        );
    }
}
