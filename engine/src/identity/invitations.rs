//! Invitations to a workspace: an admin names an email address and a role (never above their
//! own); the link is single-use, lasts seven days, is stored only as a hash, and is accepted by the
//! person signed in with that address.

use crate::events::audit::{self, Subject};
use crate::identity::users::{normalize_email, User};
use crate::identity::workspaces::{self, Member};
use crate::storage::db::{is_unique_violation, new_id, to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use domain::columns::{MaybeMillis, Millis};
use domain::{AuditAction, InvitationView, Permission, Role};
use secrecy::{ExposeSecret, SecretString};

pub const LIFETIME: Duration = Duration::days(7);
const TOKEN_PREFIX: &str = "pbi_";
/// Open invitations a workspace may have at once.
pub const MAX_OPEN: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("the role does not allow this invitation")]
    NotAllowed,
    #[error("not an email address")]
    InvalidEmail,
    #[error("already in the workspace")]
    AlreadyMember,
    #[error("too many open invitations")]
    TooMany,
    #[error("no such invitation")]
    Unknown,
    #[error("the invitation expired")]
    Expired,
    #[error("the invitation was accepted already")]
    Used,
    #[error("the invitation is for another email address")]
    ForSomeoneElse,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// The link's path for a token.
pub fn path(token: &str) -> String {
    format!("/invitations/{token}")
}

/// Invites `email` into the actor's workspace as `role`. A newer invitation for the same address
/// replaces an open one. Returns the invitation and its token, which is never shown again.
pub async fn create(
    db: &Db,
    actor: &Member,
    email: &str,
    role: Role,
) -> Result<(String, SecretString), InvitationError> {
    if !actor.role().may_grant(role) {
        return Err(InvitationError::NotAllowed);
    }
    let email = normalize_email(email).map_err(|_| InvitationError::InvalidEmail)?;
    let workspace_id = actor.workspace_id();
    let now = Utc::now();
    let mut tx = db.begin_write().await?;
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id
         WHERE m.workspace_id = $1 AND u.email = $2",
    )
    .bind(workspace_id)
    .bind(&email)
    .fetch_one(&mut *tx)
    .await?;
    if already > 0 {
        return Err(InvitationError::AlreadyMember);
    }
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1
         WHERE workspace_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(workspace_id)
    .bind(&email)
    .execute(&mut *tx)
    .await?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE workspace_id = $1 AND accepted_at IS NULL
           AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(workspace_id)
    .bind(to_millis(now))
    .fetch_one(&mut *tx)
    .await?;
    if open >= MAX_OPEN {
        return Err(InvitationError::TooMany);
    }
    let id = new_id();
    let token = super::new_token(TOKEN_PREFIX);
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(&email)
    .bind(role.as_str())
    .bind(super::token_hash(&token))
    .bind(&actor.user.id)
    .bind(to_millis(now))
    .bind(to_millis(now + LIFETIME))
    .execute(&mut *tx)
    .await?;
    let detail = format!("{email} as {}", role.label().to_lowercase());
    audit::record(
        &mut tx,
        workspace_id,
        &actor.user.email,
        AuditAction::InvitationCreated,
        subject(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, SecretString::from(token)))
}

fn subject(detail: &str) -> Subject<'_> {
    Subject {
        account_id: None,
        platform: None,
        detail: Some(detail),
    }
}

/// The workspace's open invitations, newest first; none for a role that cannot manage people.
pub async fn open(db: &Db, viewer: &Member) -> Result<Vec<InvitationView>, sqlx::Error> {
    if !viewer.may(Permission::ManagePeople) {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT i.id, i.email, i.role, u.email AS invited_by, i.expires_at FROM invitations i
         LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.workspace_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
           AND i.expires_at > $2
         ORDER BY i.created_at DESC, i.id",
    )
    .bind(viewer.workspace_id())
    .bind(to_millis(Utc::now()))
    .fetch_all(db.pool())
    .await
}

/// Revokes an open invitation of the actor's workspace, whose role the actor may grant.
/// `false` if there is none.
pub async fn revoke(db: &Db, actor: &Member, id: &str) -> Result<bool, InvitationError> {
    let mut tx = db.begin_write().await?;
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT email, role FROM invitations
         WHERE id = $1 AND workspace_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(actor.workspace_id())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email, role)) = found else {
        return Ok(false);
    };
    if !Role::parse(&role).is_some_and(|role| actor.role().may_grant(role)) {
        return Err(InvitationError::NotAllowed);
    }
    sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE id = $2")
        .bind(to_millis(Utc::now()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor.workspace_id(),
        &actor.user.email,
        AuditAction::InvitationRevoked,
        subject(&email),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// An invitation as its link finds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invitation {
    pub id: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub invited_by: Option<String>,
    #[sqlx(try_from = "Millis")]
    pub expires_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeMillis")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeMillis")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// Why it cannot be accepted now, if it cannot.
    pub fn problem(&self, now: DateTime<Utc>) -> Option<InvitationError> {
        if self.revoked_at.is_some() {
            Some(InvitationError::Unknown)
        } else if self.accepted_at.is_some() {
            Some(InvitationError::Used)
        } else if self.expires_at <= now {
            Some(InvitationError::Expired)
        } else {
            None
        }
    }
}

/// The invitation a link's token names, if it can still be accepted.
pub async fn find(db: &Db, token: &SecretString) -> Result<Invitation, InvitationError> {
    let Some(hash) = super::presented_hash(token.expose_secret(), TOKEN_PREFIX) else {
        return Err(InvitationError::Unknown);
    };
    let found: Option<Invitation> = sqlx::query_as(
        "SELECT i.id, i.workspace_id, w.name AS workspace_name, i.email, i.role,
                u.email AS invited_by, i.expires_at, i.accepted_at, i.revoked_at
         FROM invitations i JOIN workspaces w ON w.id = i.workspace_id
         LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(db.pool())
    .await?;
    let invitation = found.ok_or(InvitationError::Unknown)?;
    match invitation.problem(Utc::now()) {
        Some(problem) => Err(problem),
        None => Ok(invitation),
    }
}

/// Accepts an invitation as `person`, who must be signed in with the invited address: they join
/// with its role, once. Returns the workspace's id.
pub async fn accept(
    db: &Db,
    token: &SecretString,
    person: &User,
) -> Result<String, InvitationError> {
    let invitation = find(db, token).await?;
    if invitation.email != person.email {
        return Err(InvitationError::ForSomeoneElse);
    }
    let mut tx = db.begin_write().await?;
    // Only one acceptance can claim it, however many clicks race.
    let claimed = sqlx::query(
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(to_millis(Utc::now()))
    .bind(&person.id)
    .bind(&invitation.id)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(InvitationError::Used);
    }
    match workspaces::insert_member(
        &mut tx,
        &invitation.workspace_id,
        &person.id,
        invitation.role,
    )
    .await
    {
        Err(err) if is_unique_violation(&err) => return Err(InvitationError::AlreadyMember),
        other => other?,
    }
    let detail = format!(
        "{} as {}",
        person.email,
        invitation.role.label().to_lowercase()
    );
    audit::record(
        &mut tx,
        &invitation.workspace_id,
        &person.email,
        AuditAction::InvitationAccepted,
        subject(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(invitation.workspace_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_says_why_it_cannot_be_accepted() {
        let now = Utc::now();
        let open = Invitation {
            id: "i".into(),
            workspace_id: "w".into(),
            workspace_name: "Acme".into(),
            email: "ada@example.com".into(),
            role: Role::Member,
            invited_by: None,
            expires_at: now + Duration::hours(1),
            accepted_at: None,
            revoked_at: None,
        };
        assert!(open.problem(now).is_none());
        let expired = Invitation {
            expires_at: now,
            ..open.clone()
        };
        assert!(matches!(
            expired.problem(now),
            Some(InvitationError::Expired)
        ));
        let used = Invitation {
            accepted_at: Some(now),
            ..open.clone()
        };
        assert!(matches!(used.problem(now), Some(InvitationError::Used)));
        let revoked = Invitation {
            revoked_at: Some(now),
            accepted_at: Some(now),
            ..open
        };
        assert!(matches!(
            revoked.problem(now),
            Some(InvitationError::Unknown)
        ));
    }
}
