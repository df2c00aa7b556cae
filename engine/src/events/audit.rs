//! The audit trail: who did what, and when, for every connect, reconnect, refresh failure,
//! disconnect, API key and webhook change. Written in the transaction of the change itself.

use crate::storage::db::{from_millis, new_id, to_millis, Db};
use chrono::Utc;
use domain::{AuditEntry, Platform};
use sqlx::{AnyConnection, Row};

/// Who acted, as the trail shows it.
pub const SYSTEM: &str = "Plugboard";

pub const ACCOUNT_CONNECTED: &str = "account.connected";
pub const ACCOUNT_RECONNECTED: &str = "account.reconnected";
pub const ACCOUNT_REFRESH_FAILED: &str = "account.refresh_failed";
pub const ACCOUNT_DISCONNECTED: &str = "account.disconnected";
pub const API_KEY_CREATED: &str = "api_key.created";
pub const API_KEY_REVOKED: &str = "api_key.revoked";
pub const WEBHOOK_ADDED: &str = "webhook.added";
pub const WEBHOOK_REMOVED: &str = "webhook.removed";

/// What an action is called on the page.
pub fn describe(action: &str) -> &'static str {
    match action {
        ACCOUNT_CONNECTED => "Connected",
        ACCOUNT_RECONNECTED => "Reconnected",
        ACCOUNT_REFRESH_FAILED => "Token refresh failed: reconnect needed",
        ACCOUNT_DISCONNECTED => "Disconnected",
        API_KEY_CREATED => "API key created",
        API_KEY_REVOKED => "API key revoked",
        WEBHOOK_ADDED => "Webhook endpoint added",
        WEBHOOK_REMOVED => "Webhook endpoint removed",
        _ => "Changed",
    }
}

/// What an entry is about besides an account: an API key's or an endpoint's name.
pub struct Subject<'a> {
    pub account_id: Option<&'a str>,
    pub platform: Option<Platform>,
    pub detail: Option<&'a str>,
}

pub async fn record(
    conn: &mut AnyConnection,
    owner_id: &str,
    actor: &str,
    action: &str,
    subject: Subject<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (id, owner_id, actor, action, account_id, platform, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(owner_id)
    .bind(actor)
    .bind(action)
    .bind(subject.account_id)
    .bind(subject.platform.map(Platform::slug))
    .bind(subject.detail)
    .bind(to_millis(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

fn entry(row: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let action: String = row.try_get("action")?;
    let platform: Option<String> = row.try_get("platform")?;
    Ok(AuditEntry {
        what: describe(&action).to_owned(),
        action,
        actor: row.try_get("actor")?,
        account_id: row.try_get("account_id")?,
        platform: platform.and_then(|p| Platform::from_slug(&p)),
        detail: row.try_get("detail")?,
        at: from_millis(row.try_get("created_at")?),
    })
}

/// The owner's whole trail, newest first (at most `limit`).
pub async fn for_owner(
    db: &Db,
    owner_id: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT action, actor, account_id, platform, detail, created_at FROM audit_events
         WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(owner_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(entry).collect()
}

/// The last few entries of each of the owner's accounts, newest first.
pub async fn recent_by_account(
    db: &Db,
    owner_id: &str,
    per_account: usize,
) -> Result<std::collections::HashMap<String, Vec<AuditEntry>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT action, actor, account_id, platform, detail, created_at FROM audit_events
         WHERE owner_id = $1 AND account_id IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 2000",
    )
    .bind(owner_id)
    .fetch_all(db.pool())
    .await?;
    let mut by_account: std::collections::HashMap<String, Vec<AuditEntry>> =
        std::collections::HashMap::new();
    for row in &rows {
        let entry = entry(row)?;
        if let Some(account) = entry.account_id.clone() {
            let list = by_account.entry(account).or_default();
            if list.len() < per_account {
                list.push(entry);
            }
        }
    }
    Ok(by_account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_words() {
        for action in [
            ACCOUNT_CONNECTED,
            ACCOUNT_RECONNECTED,
            ACCOUNT_REFRESH_FAILED,
            ACCOUNT_DISCONNECTED,
            API_KEY_CREATED,
            API_KEY_REVOKED,
            WEBHOOK_ADDED,
            WEBHOOK_REMOVED,
        ] {
            assert_ne!(describe(action), "Changed", "{action}");
        }
    }
}
