//! The audit trail: who did what, and when, for every connect, reconnect, refresh failure,
//! disconnect, API key and webhook change. Written in the transaction of the change itself.

use crate::storage::db::{from_millis, new_id, to_millis, Db};
use chrono::Utc;
use domain::{AuditAction, AuditEntry, Platform};
use sqlx::{AnyConnection, Row};

/// Who acted, as the trail shows it.
pub const SYSTEM: &str = "Plugboard";

/// What an entry is about besides an account: an API key's or an endpoint's name.
pub struct Subject<'a> {
    pub account_id: Option<&'a str>,
    pub platform: Option<Platform>,
    pub detail: Option<&'a str>,
}

pub async fn record(
    conn: &mut AnyConnection,
    workspace_id: &str,
    actor: &str,
    action: AuditAction,
    subject: Subject<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, actor, action, account_id, platform, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(workspace_id)
    .bind(actor)
    .bind(action.as_str())
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
        // An action this version does not know (written by a newer one) still shows.
        what: AuditAction::parse(&action)
            .map_or("Changed", AuditAction::describe)
            .to_owned(),
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
    workspace_id: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT action, actor, account_id, platform, detail, created_at FROM audit_events
         WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(workspace_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(entry).collect()
}

/// The last few entries of each of the owner's accounts, newest first.
pub async fn recent_by_account(
    db: &Db,
    workspace_id: &str,
    per_account: usize,
) -> Result<std::collections::HashMap<String, Vec<AuditEntry>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT action, actor, account_id, platform, detail, created_at FROM audit_events
         WHERE workspace_id = $1 AND account_id IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 2000",
    )
    .bind(workspace_id)
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
