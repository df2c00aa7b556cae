//! Workspaces own connected accounts, keys, webhooks, posts, the plan and the audit trail; people
//! belong to them with a role. A person always has at least one: sign-up makes a personal one.

use crate::events::audit::{self, Subject};
use crate::identity::users::{normalize_email, User};
use crate::storage::db::{is_unique_violation, new_id, to_millis, Db, Tx};
use domain::{AuditAction, Permission, PersonView, Role, WorkspaceChoice};
use sqlx::AnyConnection;

pub const DEFAULT_PLAN: &str = "free";
/// The longest workspace name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// A signed-in person acting in one of their workspaces: what every dashboard request and form
/// is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    /// The workspace being acted in, with the person's role there.
    pub workspace: WorkspaceChoice,
    /// Every workspace the person belongs to, for the switcher.
    pub workspaces: Vec<WorkspaceChoice>,
}

impl Member {
    pub fn workspace_id(&self) -> &str {
        &self.workspace.id
    }

    pub fn role(&self) -> Role {
        self.workspace.role
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.workspace.role.may(permission)
    }

    /// Whether this person may disconnect an account that `connected_by` connected: any account
    /// for admins and owners, their own for members.
    pub fn may_disconnect(&self, connected_by: Option<&str>) -> bool {
        self.may(Permission::DisconnectAny)
            || (self.may(Permission::DisconnectOwn) && connected_by == Some(self.user.id.as_str()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("Give the workspace a name (1 to {MAX_NAME_CHARS} characters).")]
    InvalidName,
    #[error("No workspace is called that.")]
    UnknownWorkspace,
    #[error("Several workspaces have that name: use the id.")]
    AmbiguousName,
    #[error("No one has signed up with that email address.")]
    UnknownPerson,
    #[error("That person is already in the workspace.")]
    AlreadyMember,
    #[error("That person is not in the workspace.")]
    NotMember,
    #[error("Your role does not allow that.")]
    NotAllowed,
    #[error("A workspace always keeps an owner: make someone else owner first.")]
    LastOwner,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Trims a name, refusing an empty, overlong or control-character one.
pub fn check_name(name: &str) -> Result<&str, WorkspaceError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(WorkspaceError::InvalidName);
    }
    Ok(name)
}

/// A person and one of their memberships, or none: the middleware reads everything a request
/// needs about its person in this one query.
#[derive(sqlx::FromRow)]
struct PersonRow {
    #[sqlx(flatten)]
    user: User,
    workspace_id: Option<String>,
    workspace_name: Option<String>,
    plan_id: Option<String>,
    role: Option<String>,
}

const PERSON: &str = "SELECT u.id, u.email, u.created_at, w.id AS workspace_id,
     w.name AS workspace_name, w.plan_id, m.role
     FROM users u
     LEFT JOIN workspace_members m ON m.user_id = u.id
     LEFT JOIN workspaces w ON w.id = m.workspace_id
     WHERE u.id = $1
     ORDER BY m.created_at, w.id";

/// The person with `user_id` and the workspaces they belong to, the oldest membership (their
/// personal one) first; `None` when no such person exists.
async fn person(
    db: &Db,
    user_id: &str,
) -> Result<Option<(User, Vec<WorkspaceChoice>)>, sqlx::Error> {
    let rows: Vec<PersonRow> = sqlx::query_as(PERSON)
        .bind(user_id)
        .fetch_all(db.pool())
        .await?;
    let Some(user) = rows.first().map(|row| row.user.clone()) else {
        return Ok(None);
    };
    let mut workspaces = Vec::with_capacity(rows.len());
    for row in rows {
        if let (Some(id), Some(name), Some(plan_id), Some(role)) =
            (row.workspace_id, row.workspace_name, row.plan_id, row.role)
        {
            let role = Role::try_from(role).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            workspaces.push(WorkspaceChoice {
                id,
                name,
                plan_id,
                role,
            });
        }
    }
    Ok(Some((user, workspaces)))
}

/// The person with `user_id` acting in `wanted` (the session's choice) when they still belong
/// to it, else in their first workspace; `None` when the person no longer exists. Someone left
/// with no workspace (removed everywhere) gets a personal one again.
pub async fn member_by_id(
    db: &Db,
    user_id: &str,
    wanted: Option<&str>,
) -> Result<Option<Member>, sqlx::Error> {
    let Some((user, mut workspaces)) = person(db, user_id).await? else {
        return Ok(None);
    };
    if workspaces.is_empty() {
        let mut tx = db.begin_write().await?;
        create_in(&mut tx, &user.email, &user).await?;
        tx.commit().await?;
        workspaces = person(db, user_id)
            .await?
            .map(|(_, workspaces)| workspaces)
            .unwrap_or_default();
    }
    let workspace = wanted
        .and_then(|wanted| workspaces.iter().find(|choice| choice.id == wanted))
        .or(workspaces.first())
        .cloned()
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok(Some(Member {
        user,
        workspace,
        workspaces,
    }))
}

/// [`member_by_id`] for a person already in hand.
pub async fn member(db: &Db, user: User, wanted: Option<&str>) -> Result<Member, sqlx::Error> {
    member_by_id(db, &user.id, wanted)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Makes a workspace on the default plan, owned by `owner`, inside the caller's transaction.
pub async fn create_in(
    tx: &mut Tx,
    name: &str,
    owner: &User,
) -> Result<WorkspaceChoice, sqlx::Error> {
    let now = to_millis(chrono::Utc::now());
    let id = new_id();
    sqlx::query(
        "INSERT INTO workspaces (id, name, plan_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&id)
    .bind(name)
    .bind(DEFAULT_PLAN)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    insert_member(tx, &id, &owner.id, Role::Owner).await?;
    audit::record(
        tx,
        &id,
        &owner.email,
        AuditAction::WorkspaceCreated,
        Subject {
            account_id: None,
            platform: None,
            detail: Some(name),
        },
    )
    .await?;
    Ok(WorkspaceChoice {
        id,
        name: name.to_owned(),
        plan_id: DEFAULT_PLAN.to_owned(),
        role: Role::Owner,
    })
}

/// A new workspace the person owns (the switcher's "New workspace").
pub async fn create(db: &Db, name: &str, owner: &User) -> Result<WorkspaceChoice, WorkspaceError> {
    let name = check_name(name)?;
    let mut tx = db.begin_write().await?;
    let created = create_in(&mut tx, name, owner).await?;
    tx.commit().await?;
    Ok(created)
}

/// Renames the actor's workspace (owners).
pub async fn rename(db: &Db, actor: &Member, name: &str) -> Result<(), WorkspaceError> {
    if !actor.may(Permission::ManageWorkspace) {
        return Err(WorkspaceError::NotAllowed);
    }
    let name = check_name(name)?;
    if name == actor.workspace.name {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE workspaces SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(name)
        .bind(to_millis(chrono::Utc::now()))
        .bind(actor.workspace_id())
        .execute(&mut *tx)
        .await?;
    let detail = format!("{} to {name}", actor.workspace.name);
    audit::record(
        &mut tx,
        actor.workspace_id(),
        &actor.user.email,
        AuditAction::WorkspaceRenamed,
        detail_only(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn insert_member(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(to_millis(chrono::Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Everyone in a workspace, owners first, then by when they joined.
pub async fn people(db: &Db, workspace_id: &str) -> Result<Vec<PersonView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.user_id, u.email, m.role, m.created_at AS since FROM workspace_members m
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                  m.created_at, u.email",
    )
    .bind(workspace_id)
    .fetch_all(db.pool())
    .await
}

/// Starts a change to a workspace's people. The workspace's row is written first, so two changes
/// to the same workspace queue on PostgreSQL as they do on SQLite, and the last owner cannot be
/// demoted twice at once.
async fn begin_people_change(db: &Db, workspace_id: &str) -> Result<Tx, WorkspaceError> {
    let mut tx = db.begin_write().await?;
    let found = sqlx::query("UPDATE workspaces SET updated_at = $1 WHERE id = $2")
        .bind(to_millis(chrono::Utc::now()))
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    if found.rows_affected() == 0 {
        return Err(WorkspaceError::UnknownWorkspace);
    }
    Ok(tx)
}

async fn role_in(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
) -> Result<Option<Role>, sqlx::Error> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    role.map(|role| Role::try_from(role).map_err(|err| sqlx::Error::Decode(Box::new(err))))
        .transpose()
}

async fn other_owners(
    conn: &mut AnyConnection,
    workspace_id: &str,
    user_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'owner' AND user_id <> $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// An entry's subject that is only words: a person, or a workspace's names.
fn detail_only(detail: &str) -> Subject<'_> {
    Subject {
        account_id: None,
        platform: None,
        detail: Some(detail),
    }
}

/// Adds someone who has signed up to a workspace with a role (the command line's `workspace add`;
/// `actor` is who the trail names).
pub async fn add(
    db: &Db,
    workspace_id: &str,
    email: &str,
    role: Role,
    actor: &str,
) -> Result<(), WorkspaceError> {
    let email = normalize_email(email).map_err(|_| WorkspaceError::UnknownPerson)?;
    let user = crate::identity::users::find_by_email(db, &email)
        .await?
        .ok_or(WorkspaceError::UnknownPerson)?;
    let mut tx = begin_people_change(db, workspace_id).await?;
    match insert_member(&mut tx, workspace_id, &user.id, role).await {
        Err(err) if is_unique_violation(&err) => return Err(WorkspaceError::AlreadyMember),
        other => other?,
    }
    let detail = format!("{email} as {}", role.label().to_lowercase());
    audit::record(
        &mut tx,
        workspace_id,
        actor,
        AuditAction::MemberAdded,
        detail_only(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives a person of the actor's workspace another role. Nobody grants more than their own role
/// or changes someone above it, and the workspace keeps an owner.
pub async fn change_role(
    db: &Db,
    actor: &Member,
    user_id: &str,
    role: Role,
) -> Result<(), WorkspaceError> {
    let workspace_id = actor.workspace_id();
    let mut tx = begin_people_change(db, workspace_id).await?;
    let current = role_in(&mut tx, workspace_id, user_id)
        .await?
        .ok_or(WorkspaceError::NotMember)?;
    if !actor.role().may_grant(role) || !actor.role().may_grant(current) {
        return Err(WorkspaceError::NotAllowed);
    }
    if current == role {
        return Ok(());
    }
    if current == Role::Owner && other_owners(&mut tx, workspace_id, user_id).await? == 0 {
        return Err(WorkspaceError::LastOwner);
    }
    sqlx::query("UPDATE workspace_members SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let email = email_of(&mut tx, user_id).await?;
    let detail = format!("{email}: {} to {}", current.label(), role.label());
    audit::record(
        &mut tx,
        workspace_id,
        &actor.user.email,
        AuditAction::MemberRoleChanged,
        detail_only(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a person out of the actor's workspace (or the actor leaves it). The accounts they
/// connected stay; the API keys they made are revoked.
pub async fn remove(db: &Db, actor: &Member, user_id: &str) -> Result<(), WorkspaceError> {
    let workspace_id = actor.workspace_id();
    let mut tx = begin_people_change(db, workspace_id).await?;
    let current = role_in(&mut tx, workspace_id, user_id)
        .await?
        .ok_or(WorkspaceError::NotMember)?;
    let leaving = user_id == actor.user.id;
    if !leaving && !actor.role().may_grant(current) {
        return Err(WorkspaceError::NotAllowed);
    }
    if current == Role::Owner && other_owners(&mut tx, workspace_id, user_id).await? == 0 {
        return Err(WorkspaceError::LastOwner);
    }
    sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE workspace_id = $2 AND created_by = $3 AND revoked_at IS NULL",
    )
    .bind(to_millis(chrono::Utc::now()))
    .bind(workspace_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    let email = email_of(&mut tx, user_id).await?;
    audit::record(
        &mut tx,
        workspace_id,
        &actor.user.email,
        AuditAction::MemberRemoved,
        detail_only(&email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn email_of(conn: &mut AnyConnection, user_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// A workspace as the command line lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkspaceListing {
    pub id: String,
    pub name: String,
    pub plan_id: String,
    pub people: i64,
    pub accounts: i64,
}

pub async fn list_all(db: &Db) -> Result<Vec<WorkspaceListing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT w.id, w.name, w.plan_id,
                (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = w.id) AS people,
                (SELECT COUNT(*) FROM connected_accounts a WHERE a.workspace_id = w.id) AS accounts
         FROM workspaces w ORDER BY w.created_at, w.id",
    )
    .fetch_all(db.pool())
    .await
}

/// The id of the workspace a person means on the command line: its id, or its name when only one
/// workspace has it.
pub async fn resolve(db: &Db, reference: &str) -> Result<String, WorkspaceError> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM workspaces WHERE id = $1 OR name = $1 ORDER BY id")
            .bind(reference.trim())
            .fetch_all(db.pool())
            .await?;
    if let Some(exact) = ids.iter().find(|id| *id == reference.trim()) {
        return Ok(exact.clone());
    }
    match ids.as_slice() {
        [] => Err(WorkspaceError::UnknownWorkspace),
        [one] => Ok(one.clone()),
        _ => Err(WorkspaceError::AmbiguousName),
    }
}

/// The command line's `workspace create`: a workspace owned by the person with this email.
pub async fn create_for_email(
    db: &Db,
    name: &str,
    owner_email: &str,
) -> Result<WorkspaceChoice, WorkspaceError> {
    let email = normalize_email(owner_email).map_err(|_| WorkspaceError::UnknownPerson)?;
    let owner = crate::identity::users::find_by_email(db, &email)
        .await?
        .ok_or(WorkspaceError::UnknownPerson)?;
    create(db, name, &owner).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(check_name("  Acme  ").unwrap(), "Acme");
        assert!(check_name("   ").is_err());
        assert!(check_name(&"a".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(check_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(check_name("Acme\u{7}").is_err());
    }
}
