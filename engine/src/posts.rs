//! Scheduled posts the publishing tools hand to Plugboard: text, a time, and the owner's accounts
//! to post to. Disconnecting an account takes it out of every post (see `disconnect`).

use crate::storage::db::{from_millis, is_unique_violation, new_id, to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use domain::columns::{MaybeText, Millis};
use domain::Platform;
pub use domain::{CancelReason, PostStatus};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};

pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_TARGETS: usize = 50;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
/// How far ahead a post may be scheduled.
pub const MAX_SCHEDULE_AHEAD: Duration = Duration::days(366);
pub const MAX_PAGE: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PostTarget {
    pub account_id: String,
    #[sqlx(try_from = "String")]
    pub platform: Platform,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Post {
    pub id: String,
    pub text: String,
    #[sqlx(try_from = "Millis")]
    pub scheduled_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    #[sqlx(try_from = "MaybeText")]
    pub cancel_reason: Option<CancelReason>,
    /// Read from `post_targets` after the post itself (see `with_targets`).
    #[sqlx(skip)]
    pub targets: Vec<PostTarget>,
    #[sqlx(try_from = "Millis")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Millis")]
    pub updated_at: DateTime<Utc>,
}

/// A post's target, with the post it belongs to.
#[derive(sqlx::FromRow)]
struct TargetOfPost {
    post_id: String,
    #[sqlx(flatten)]
    target: PostTarget,
}

/// A post as the integration API receives it, in JSON.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CreatePost))]
#[serde(deny_unknown_fields)]
pub struct PostRequest {
    /// 1 to 10,000 characters.
    pub text: String,
    /// When to publish (RFC 3339), in the future and within 366 days.
    pub scheduled_at: DateTime<Utc>,
    /// 1 to 50 of the caller's account ids.
    pub account_ids: Vec<String>,
}

impl PostRequest {
    pub fn into_new_post(self, idempotency_key: Option<String>) -> NewPost {
        NewPost {
            text: self.text,
            scheduled_at: self.scheduled_at,
            account_ids: self.account_ids,
            idempotency_key,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPost {
    pub text: String,
    pub scheduled_at: DateTime<Utc>,
    pub account_ids: Vec<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Unknown, or another owner's: the two are never told apart.
    #[error("There is no account {0}.")]
    UnknownAccount(String),
    #[error("This Idempotency-Key was already used for a different post.")]
    IdempotencyKeyReused,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

fn invalid(field: &'static str, message: impl Into<String>) -> PostError {
    PostError::Invalid {
        field,
        message: message.into(),
    }
}

/// Checks a new post's fields; returns the target ids without duplicates, in the order given.
pub fn validate(post: &NewPost, now: DateTime<Utc>) -> Result<Vec<String>, PostError> {
    let chars = post.text.chars().count();
    if post.text.trim().is_empty() {
        return Err(invalid("text", "The post has no text."));
    }
    if chars > MAX_TEXT_CHARS {
        return Err(invalid(
            "text",
            format!("The text is {chars} characters; the most is {MAX_TEXT_CHARS}."),
        ));
    }
    if post.scheduled_at <= now {
        return Err(invalid("scheduled_at", "The time must be in the future."));
    }
    if post.scheduled_at > now + MAX_SCHEDULE_AHEAD {
        return Err(invalid(
            "scheduled_at",
            format!(
                "The time must be within {} days.",
                MAX_SCHEDULE_AHEAD.num_days()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    let ids: Vec<String> = post
        .account_ids
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect();
    if ids.is_empty() || ids.len() > MAX_TARGETS {
        return Err(invalid(
            "account_ids",
            format!("Name 1 to {MAX_TARGETS} accounts to post to."),
        ));
    }
    if let Some(key) = &post.idempotency_key {
        if key.is_empty()
            || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS
            || key.chars().any(char::is_control)
        {
            return Err(invalid(
                "Idempotency-Key",
                format!(
                    "An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable characters."
                ),
            ));
        }
    }
    Ok(ids)
}

/// Schedules a post. With an idempotency key already used for the same text and time, returns
/// the first post and `false` (nothing new was created).
pub async fn create(db: &Db, workspace_id: &str, post: NewPost) -> Result<(Post, bool), PostError> {
    let now = Utc::now();
    let account_ids = validate(&post, now)?;
    if let Some(existing) = replay(db, workspace_id, &post).await? {
        return Ok((existing, false));
    }
    let mut tx = db.begin_write().await?;
    for account_id in &account_ids {
        let owned: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 AND workspace_id = $2",
        )
        .bind(account_id)
        .bind(workspace_id)
        .fetch_one(&mut *tx)
        .await?;
        if owned == 0 {
            return Err(PostError::UnknownAccount(account_id.clone()));
        }
    }
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO posts (id, workspace_id, text, scheduled_at, status, idempotency_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $7, $5, $6, $6)",
    )
    .bind(&id)
    .bind(workspace_id)
    .bind(&post.text)
    .bind(to_millis(post.scheduled_at))
    .bind(&post.idempotency_key)
    .bind(to_millis(now))
    .bind(PostStatus::Scheduled.as_str())
    .execute(&mut *tx)
    .await;
    match inserted {
        // The same key sent twice at once: the other request created it.
        Err(err) if is_unique_violation(&err) => {
            drop(tx);
            return replay(db, workspace_id, &post)
                .await?
                .map(|existing| (existing, false))
                .ok_or(PostError::Database(err));
        }
        other => other?,
    };
    for account_id in &account_ids {
        sqlx::query("INSERT INTO post_targets (post_id, account_id) VALUES ($1, $2)")
            .bind(&id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
    }
    let created = find(&mut tx, workspace_id, &id)
        .await?
        .expect("inserted in this transaction");
    tx.commit().await?;
    Ok((created, true))
}

async fn replay(db: &Db, workspace_id: &str, post: &NewPost) -> Result<Option<Post>, PostError> {
    let Some(key) = &post.idempotency_key else {
        return Ok(None);
    };
    let mut conn = db.pool().acquire().await?;
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM posts WHERE workspace_id = $1 AND idempotency_key = $2")
            .bind(workspace_id)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let existing = find(&mut conn, workspace_id, &id)
        .await?
        .expect("found by key just now");
    // Times are stored to the millisecond.
    if existing.text != post.text
        || to_millis(existing.scheduled_at) != to_millis(post.scheduled_at)
    {
        return Err(PostError::IdempotencyKeyReused);
    }
    Ok(Some(existing))
}

const POST_COLUMNS: &str = "id, text, scheduled_at, status, cancel_reason, created_at, updated_at";

/// Fills in the posts' targets, in one query.
async fn with_targets(conn: &mut AnyConnection, posts: &mut [Post]) -> Result<(), sqlx::Error> {
    let ids: Vec<String> = posts.iter().map(|post| post.id.clone()).collect();
    let mut targets = targets_of(conn, &ids).await?;
    for post in posts {
        post.targets = targets.remove(&post.id).unwrap_or_default();
    }
    Ok(())
}

/// The targets of some posts, by post id, in one query.
async fn targets_of(
    conn: &mut AnyConnection,
    post_ids: &[String],
) -> Result<HashMap<String, Vec<PostTarget>>, sqlx::Error> {
    let mut by_post: HashMap<String, Vec<PostTarget>> = HashMap::new();
    if post_ids.is_empty() {
        return Ok(by_post);
    }
    let placeholders: Vec<String> = (1..=post_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT t.post_id, a.id AS account_id, a.platform, a.username FROM post_targets t
         JOIN connected_accounts a ON a.id = t.account_id
         WHERE t.post_id IN ({}) ORDER BY a.platform, a.username, a.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, TargetOfPost>(sqlx::AssertSqlSafe(sql));
    for id in post_ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(&mut *conn).await? {
        by_post.entry(row.post_id).or_default().push(row.target);
    }
    Ok(by_post)
}

/// One of the owner's posts; `None` for another owner's.
pub async fn find(
    conn: &mut AnyConnection,
    workspace_id: &str,
    id: &str,
) -> Result<Option<Post>, sqlx::Error> {
    let sql = format!("SELECT {POST_COLUMNS} FROM posts WHERE id = $1 AND workspace_id = $2");
    let Some(mut post) = sqlx::query_as::<_, Post>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(workspace_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    with_targets(conn, std::slice::from_mut(&mut post)).await?;
    Ok(Some(post))
}

/// Where a page of posts starts: after this (scheduled_at, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub scheduled_at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", to_millis(self.scheduled_at), self.id)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (millis, id) = text.split_once('_')?;
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let millis: i64 = millis.parse().ok()?;
        id_ok.then(|| Cursor {
            scheduled_at: from_millis(millis),
            id: id.to_owned(),
        })
    }
}

/// The owner's posts in time order, optionally of one status, a page at a time.
pub async fn list(
    db: &Db,
    workspace_id: &str,
    status: Option<PostStatus>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<(Vec<Post>, Option<Cursor>), sqlx::Error> {
    let limit = limit.clamp(1, MAX_PAGE);
    let sql = format!(
        "SELECT {POST_COLUMNS} FROM posts
         WHERE workspace_id = $1 AND ($2 IS NULL OR status = $2)
           AND ($3 IS NULL OR scheduled_at > $3 OR (scheduled_at = $3 AND id > $4))
         ORDER BY scheduled_at, id LIMIT $5"
    );
    let mut conn = db.pool().acquire().await?;
    let mut posts: Vec<Post> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(workspace_id)
        .bind(status.map(PostStatus::as_str))
        .bind(after.map(|c| to_millis(c.scheduled_at)))
        .bind(after.map(|c| c.id.clone()))
        .bind(limit + 1)
        .fetch_all(&mut *conn)
        .await?;
    let has_more = posts.len() as i64 > limit;
    posts.truncate(limit as usize);
    with_targets(&mut conn, &mut posts).await?;
    let next = has_more.then(|| posts.last()).flatten().map(|last| Cursor {
        scheduled_at: last.scheduled_at,
        id: last.id.clone(),
    });
    Ok((posts, next))
}

/// Cancels one of the owner's posts. Cancelling a cancelled post changes nothing (a repeated
/// request is harmless); `None` if the post is not the owner's.
pub async fn cancel(db: &Db, workspace_id: &str, id: &str) -> Result<Option<Post>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE posts SET status = $5, cancel_reason = $1, updated_at = $2
         WHERE id = $3 AND workspace_id = $4 AND status = $6",
    )
    .bind(CancelReason::CancelledByOwner.as_str())
    .bind(to_millis(Utc::now()))
    .bind(id)
    .bind(workspace_id)
    .bind(PostStatus::Cancelled.as_str())
    .bind(PostStatus::Scheduled.as_str())
    .execute(&mut *tx)
    .await?;
    let post = find(&mut tx, workspace_id, id).await?;
    tx.commit().await?;
    Ok(post)
}

/// What disconnecting an account does to the scheduled posts that target it: the ids of those
/// cancelled (it is their only target) and of those that carry on for their other targets.
pub async fn disconnect_effect(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let mut only_target = Vec::new();
    let mut shared = Vec::new();
    let rows = sqlx::query(
        "SELECT p.id, (SELECT COUNT(*) FROM post_targets o WHERE o.post_id = p.id) AS targets
         FROM posts p JOIN post_targets t ON t.post_id = p.id
         WHERE t.account_id = $1 AND p.status = $2 ORDER BY p.scheduled_at, p.id",
    )
    .bind(account_id)
    .bind(PostStatus::Scheduled.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        if row.try_get::<i64, _>("targets")? == 1 {
            only_target.push(id);
        } else {
            shared.push(id);
        }
    }
    Ok((only_target, shared))
}

/// Takes an account out of every post, inside the disconnect's transaction: posts it was the only
/// target of are cancelled, the rest keep their other targets. Returns the cancelled and the
/// continuing posts' ids.
pub async fn remove_account(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let (cancelled, continuing) = disconnect_effect(conn, account_id).await?;
    let now = to_millis(Utc::now());
    for (ids, reason) in [
        (&cancelled, Some(CancelReason::AccountDisconnected.as_str())),
        (&continuing, None),
    ] {
        for id in ids {
            sqlx::query(
                "UPDATE posts SET status = CASE WHEN $1 IS NULL THEN status ELSE $4 END,
                     cancel_reason = COALESCE($1, cancel_reason), updated_at = $2 WHERE id = $3",
            )
            .bind(reason)
            .bind(now)
            .bind(id)
            .bind(PostStatus::Cancelled.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    sqlx::query("DELETE FROM post_targets WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok((cancelled, continuing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, in_minutes: i64, accounts: &[&str]) -> NewPost {
        NewPost {
            text: text.into(),
            scheduled_at: Utc::now() + Duration::minutes(in_minutes),
            account_ids: accounts.iter().map(|a| a.to_string()).collect(),
            idempotency_key: None,
        }
    }

    fn field_of(result: Result<Vec<String>, PostError>) -> &'static str {
        match result {
            Err(PostError::Invalid { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_good_post_passes_with_duplicate_targets_folded() {
        let ids = validate(&post("Hello", 10, &["a", "b", "a"]), Utc::now()).unwrap();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn text_must_be_there_and_not_too_long() {
        assert_eq!(
            field_of(validate(&post("  ", 10, &["a"]), Utc::now())),
            "text"
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            field_of(validate(&post(&long, 10, &["a"]), Utc::now())),
            "text"
        );
        let at_limit = "é".repeat(MAX_TEXT_CHARS);
        assert!(validate(&post(&at_limit, 10, &["a"]), Utc::now()).is_ok());
    }

    #[test]
    fn time_must_be_ahead_but_not_too_far() {
        assert_eq!(
            field_of(validate(&post("x", -1, &["a"]), Utc::now())),
            "scheduled_at"
        );
        let too_far = MAX_SCHEDULE_AHEAD.num_minutes() + 10;
        assert_eq!(
            field_of(validate(&post("x", too_far, &["a"]), Utc::now())),
            "scheduled_at"
        );
    }

    #[test]
    fn targets_between_one_and_the_most() {
        assert_eq!(
            field_of(validate(&post("x", 10, &[]), Utc::now())),
            "account_ids"
        );
        let many: Vec<String> = (0..=MAX_TARGETS).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            field_of(validate(&post("x", 10, &many), Utc::now())),
            "account_ids"
        );
    }

    #[test]
    fn idempotency_keys_are_printable_and_short() {
        let mut p = post("x", 10, &["a"]);
        p.idempotency_key = Some("line\nbreak".into());
        assert_eq!(field_of(validate(&p, Utc::now())), "Idempotency-Key");
        p.idempotency_key = Some("k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1));
        assert_eq!(field_of(validate(&p, Utc::now())), "Idempotency-Key");
        p.idempotency_key = Some("retry-7".into());
        assert!(validate(&p, Utc::now()).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_reject_nonsense() {
        let cursor = Cursor {
            scheduled_at: from_millis(1_790_000_000_000),
            id: "0193a2b4-7c1d-7e00-8000-000000000001".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("nope"), None);
        assert_eq!(Cursor::decode("12_' OR 1=1"), None);
    }
}
