//! Connect links: an admin sends one to a client, who connects their own account into the
//! workspace without an account of their own: for a set of platforms, or to renew one account.
//! A link lasts 24 hours unless chosen otherwise (at most 7 days), can be used a chosen number of
//! times, can be revoked, and is stored only as a hash. Its page shows the workspace's name and
//! the note, nothing else of the workspace.

use crate::connections::accounts;
use crate::connections::connect::Connector;
use crate::events::audit::{self, Subject};
use crate::identity::workspaces::Member;
use crate::identity::{new_token, presented_hash, token_hash};
use crate::storage::db::{new_id, to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use domain::columns::{MaybeMillis, Millis};
use domain::{AuditAction, ConnectLinkView, LinkProblem, Permission, Platform};
use secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_LIFETIME: Duration = Duration::hours(24);
pub const LONGEST_LIFETIME: Duration = Duration::days(7);
pub const MOST_USES: u32 = 100;
pub const MAX_NOTE_CHARS: usize = 200;
/// Open links a workspace may have at once.
pub const MAX_OPEN: i64 = 50;
const TOKEN_PREFIX: &str = "pbl_";

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0:?}")]
    Refused(LinkProblem),
    #[error("the role does not allow sharing connect links")]
    NotAllowed,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<LinkProblem> for LinkError {
    fn from(problem: LinkProblem) -> LinkError {
        LinkError::Refused(problem)
    }
}

/// What an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub platforms: Vec<Platform>,
    /// The account to renew, instead of platforms.
    pub reconnect_account_id: Option<String>,
    pub note: String,
    pub max_uses: u32,
    pub lifetime: Duration,
}

/// Checks a request's bounds (pure): a note on one line and not too long, 1 to 100 uses, 1 hour to
/// 7 days, and at least one platform unless it renews an account.
pub fn check(request: &LinkRequest) -> Result<(), LinkProblem> {
    if request.reconnect_account_id.is_none() && request.platforms.is_empty() {
        return Err(LinkProblem::NoPlatform);
    }
    if request.note.chars().count() > MAX_NOTE_CHARS || request.note.chars().any(char::is_control) {
        return Err(LinkProblem::InvalidNote);
    }
    if !(1..=MOST_USES).contains(&request.max_uses) {
        return Err(LinkProblem::InvalidUses);
    }
    if request.lifetime < Duration::hours(1) || request.lifetime > LONGEST_LIFETIME {
        return Err(LinkProblem::InvalidExpiry);
    }
    Ok(())
}

/// The link's path for a token.
pub fn path(token: &str) -> String {
    format!("/connect/{token}")
}

fn slugs(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(|platform| platform.slug())
        .collect::<Vec<_>>()
        .join(",")
}

fn platforms_of(slugs: &str) -> Vec<Platform> {
    slugs.split(',').filter_map(Platform::from_slug).collect()
}

/// Makes a link in the actor's workspace; returns its id and token (never shown again).
pub async fn create(
    db: &Db,
    actor: &Member,
    mut request: LinkRequest,
) -> Result<(String, SecretString), LinkError> {
    if !actor.may(Permission::ShareConnectLinks) {
        return Err(LinkError::NotAllowed);
    }
    request.note = request.note.trim().to_owned();
    check(&request)?;
    let workspace_id = actor.workspace_id();
    let mut tx = db.begin_write().await?;
    if let Some(account_id) = &request.reconnect_account_id {
        let account = accounts::find_owned(&mut tx, workspace_id, account_id)
            .await?
            .ok_or(LinkProblem::AccountNotFound)?;
        request.platforms = vec![account.platform];
    }
    request.platforms.dedup();
    let now = Utc::now();
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connect_links WHERE workspace_id = $1 AND revoked_at IS NULL
           AND expires_at > $2 AND uses < max_uses",
    )
    .bind(workspace_id)
    .bind(to_millis(now))
    .fetch_one(&mut *tx)
    .await?;
    if open >= MAX_OPEN {
        return Err(LinkProblem::TooMany.into());
    }
    let id = new_id();
    let token = new_token(TOKEN_PREFIX);
    sqlx::query(
        "INSERT INTO connect_links (id, workspace_id, token_hash, platforms, reconnect_account_id,
             note, max_uses, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(token_hash(&token))
    .bind(slugs(&request.platforms))
    .bind(&request.reconnect_account_id)
    .bind(Some(request.note.as_str()).filter(|note| !note.is_empty()))
    .bind(i64::from(request.max_uses))
    .bind(&actor.user.id)
    .bind(to_millis(now))
    .bind(to_millis(now + request.lifetime))
    .execute(&mut *tx)
    .await?;
    let detail = describe(&request.platforms, &request.note);
    audit::record(
        &mut tx,
        workspace_id,
        &actor.user.email,
        AuditAction::ConnectLinkCreated,
        Subject {
            account_id: request.reconnect_account_id.as_deref(),
            platform: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, SecretString::from(token)))
}

fn describe(platforms: &[Platform], note: &str) -> String {
    let names: Vec<&str> = platforms.iter().map(|p| p.display_name()).collect();
    if note.is_empty() {
        names.join(", ")
    } else {
        format!("{}: {note}", names.join(", "))
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: String,
    workspace_id: String,
    workspace_name: String,
    plan_id: String,
    platforms: String,
    reconnect_account_id: Option<String>,
    reconnect_username: Option<String>,
    note: Option<String>,
    max_uses: i64,
    uses: i64,
    created_by: Option<String>,
    #[sqlx(try_from = "Millis")]
    expires_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeMillis")]
    revoked_at: Option<DateTime<Utc>>,
}

const LINK_COLUMNS: &str = "l.id, l.workspace_id, w.name AS workspace_name, w.plan_id, l.platforms,
    l.reconnect_account_id, a.username AS reconnect_username, l.note, l.max_uses, l.uses,
    u.email AS created_by, l.expires_at, l.revoked_at
    FROM connect_links l JOIN workspaces w ON w.id = l.workspace_id
    LEFT JOIN connected_accounts a ON a.id = l.reconnect_account_id
    LEFT JOIN users u ON u.id = l.created_by";

impl LinkRow {
    fn usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.uses < self.max_uses
    }

    fn view(self) -> ConnectLinkView {
        ConnectLinkView {
            platforms: platforms_of(&self.platforms),
            uses_left: u32::try_from(self.max_uses - self.uses).unwrap_or(0),
            id: self.id,
            reconnects: self.reconnect_username,
            note: self.note,
            expires_at: self.expires_at,
            created_by: self.created_by,
        }
    }
}

/// The workspace's usable links, newest first; none for a role that cannot share them.
pub async fn open(db: &Db, viewer: &Member) -> Result<Vec<ConnectLinkView>, sqlx::Error> {
    if !viewer.may(Permission::ShareConnectLinks) {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {LINK_COLUMNS} WHERE l.workspace_id = $1 AND l.revoked_at IS NULL
           AND l.expires_at > $2 AND l.uses < l.max_uses
         ORDER BY l.created_at DESC, l.id"
    );
    let rows: Vec<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(viewer.workspace_id())
        .bind(to_millis(Utc::now()))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(LinkRow::view).collect())
}

/// Revokes a link of the actor's workspace. `false` if there is no usable one.
pub async fn revoke(db: &Db, actor: &Member, id: &str) -> Result<bool, LinkError> {
    if !actor.may(Permission::ShareConnectLinks) {
        return Err(LinkError::NotAllowed);
    }
    let mut tx = db.begin_write().await?;
    let revoked: Option<(String, Option<String>)> = sqlx::query_as(
        "UPDATE connect_links SET revoked_at = $1
         WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL RETURNING platforms, note",
    )
    .bind(to_millis(Utc::now()))
    .bind(id)
    .bind(actor.workspace_id())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((platforms, note)) = revoked else {
        return Ok(false);
    };
    let detail = describe(
        &platforms_of(&platforms),
        note.as_deref().unwrap_or_default(),
    );
    audit::record(
        &mut tx,
        actor.workspace_id(),
        &actor.user.email,
        AuditAction::ConnectLinkRevoked,
        Subject {
            account_id: None,
            platform: None,
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A usable link, as its token finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectLink {
    pub id: String,
    pub workspace_name: String,
    pub platforms: Vec<Platform>,
    pub reconnect_account_id: Option<String>,
    pub reconnect_username: Option<String>,
    pub note: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Who connects through it: the link, in its workspace.
    pub connector: Connector,
}

impl ConnectLink {
    pub fn offers(&self, platform: Platform) -> bool {
        self.platforms.contains(&platform)
    }
}

async fn find_where(db: &Db, clause: &str, key: &str) -> Result<Option<ConnectLink>, sqlx::Error> {
    let sql = format!("SELECT {LINK_COLUMNS} WHERE {clause}");
    let row: Option<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .filter(|row| row.usable(Utc::now()))
        .map(|row| ConnectLink {
            connector: Connector {
                workspace_id: row.workspace_id,
                plan_id: row.plan_id,
                user_id: None,
                link_id: Some(row.id.clone()),
                actor: match &row.note {
                    Some(note) => format!("Connect link “{note}”"),
                    None => "Connect link".to_owned(),
                },
            },
            id: row.id,
            workspace_name: row.workspace_name,
            platforms: platforms_of(&row.platforms),
            reconnect_account_id: row.reconnect_account_id,
            reconnect_username: row.reconnect_username,
            note: row.note,
            expires_at: row.expires_at,
        }))
}

/// The usable link a token names; `None` for an unknown, expired, revoked or used-up one (the
/// page says the same for all of them).
pub async fn find(db: &Db, token: &SecretString) -> Result<Option<ConnectLink>, sqlx::Error> {
    match presented_hash(token.expose_secret(), TOKEN_PREFIX) {
        Some(hash) => find_where(db, "l.token_hash = $1", &hash).await,
        None => Ok(None),
    }
}

/// The usable link an OAuth state was issued for (the callback has no token to show).
pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<ConnectLink>, sqlx::Error> {
    find_where(db, "l.id = $1", id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> LinkRequest {
        LinkRequest {
            platforms: vec![Platform::Instagram],
            reconnect_account_id: None,
            note: "For Acme's Instagram".into(),
            max_uses: 1,
            lifetime: DEFAULT_LIFETIME,
        }
    }

    #[test]
    fn a_request_is_bounded() {
        assert_eq!(check(&request()), Ok(()));
        let none = LinkRequest {
            platforms: vec![],
            ..request()
        };
        assert_eq!(check(&none), Err(LinkProblem::NoPlatform));
        let renew = LinkRequest {
            reconnect_account_id: Some("a1".into()),
            ..none
        };
        assert_eq!(check(&renew), Ok(()), "a renewal names its account instead");
        for (uses, ok) in [(0, false), (1, true), (100, true), (101, false)] {
            let asked = LinkRequest {
                max_uses: uses,
                ..request()
            };
            assert_eq!(check(&asked).is_ok(), ok, "{uses} uses");
        }
        for (lifetime, ok) in [
            (Duration::minutes(59), false),
            (Duration::hours(1), true),
            (Duration::days(7), true),
            (Duration::days(7) + Duration::seconds(1), false),
        ] {
            let asked = LinkRequest {
                lifetime,
                ..request()
            };
            assert_eq!(check(&asked).is_ok(), ok, "{lifetime}");
        }
        let long = LinkRequest {
            note: "a".repeat(MAX_NOTE_CHARS + 1),
            ..request()
        };
        assert_eq!(check(&long), Err(LinkProblem::InvalidNote));
        let two_lines = LinkRequest {
            note: "a\nb".into(),
            ..request()
        };
        assert_eq!(check(&two_lines), Err(LinkProblem::InvalidNote));
    }

    #[test]
    fn platforms_travel_as_slugs() {
        let both = [Platform::Instagram, Platform::Bluesky];
        assert_eq!(platforms_of(&slugs(&both)), both);
        assert!(platforms_of("myspace").is_empty());
    }
}
