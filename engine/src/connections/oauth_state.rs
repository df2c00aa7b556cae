//! OAuth `state`: random, single-use, short-lived, bound to the person who started the connect,
//! the workspace it is for and the platform,
//! stored server-side (only its hash) with the PKCE verifier sealed beside it.

use crate::storage::crypto::SecretBox;
use crate::storage::db::{to_millis, Db};
use chrono::{DateTime, Duration, Utc};
use domain::columns::{MaybeMillis, Millis};
use domain::Platform;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

pub const LIFETIME: Duration = Duration::minutes(10);

/// What the callback needs to finish a connect.
#[derive(Debug)]
pub struct PendingConnect {
    pub platform: Platform,
    pub reconnect_account_id: Option<String>,
    pub instance_url: Option<String>,
    pub code_verifier: Option<SecretString>,
}

/// Why a callback's `state` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateProblem {
    Missing,
    /// Never issued, or issued for another platform.
    Unknown,
    /// Already used by an earlier callback (a replay, or a second click).
    Used,
    Expired,
    /// Issued to somebody else.
    Foreign,
}

fn hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

fn verifier_context(state_hash: &str) -> String {
    format!("oauth_states:{state_hash}:code_verifier")
}

/// Who a state is bound to: the person who started the connect, or the connect link it was
/// started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Starter<'a> {
    pub workspace_id: &'a str,
    pub user_id: Option<&'a str>,
    pub link_id: Option<&'a str>,
}

/// Issues a new state for a connect into a workspace and returns its value (to put in the
/// authorize URL).
pub async fn issue(
    db: &Db,
    secrets: &SecretBox,
    starter: Starter<'_>,
    pending: &PendingConnect,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let value = oauth2::CsrfToken::new_random_len(32).secret().clone();
    let state_hash = hash(&value);
    let sealed = pending
        .code_verifier
        .as_ref()
        .map(|v| secrets.seal(v, &verifier_context(&state_hash)));
    sqlx::query(
        "INSERT INTO oauth_states (state_hash, workspace_id, started_by, connect_link_id, platform,
             reconnect_account_id, instance_url, code_verifier_enc, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&state_hash)
    .bind(starter.workspace_id)
    .bind(starter.user_id)
    .bind(starter.link_id)
    .bind(pending.platform.slug())
    .bind(&pending.reconnect_account_id)
    .bind(&pending.instance_url)
    .bind(sealed)
    .bind(to_millis(now))
    .bind(to_millis(now + LIFETIME))
    .execute(db.pool())
    .await?;
    Ok(value)
}

/// Uses up a state. Only one caller can ever get `Ok` for a given state.
pub async fn consume(
    db: &Db,
    secrets: &SecretBox,
    state: Option<&str>,
    starter: Starter<'_>,
    platform: Platform,
    now: DateTime<Utc>,
) -> Result<Result<PendingConnect, StateProblem>, sqlx::Error> {
    let Some(state) = state.filter(|s| !s.is_empty()) else {
        return Ok(Err(StateProblem::Missing));
    };
    let state_hash = hash(state);
    let claimed: Option<Claimed> = sqlx::query_as(
        "UPDATE oauth_states SET consumed_at = $1
         WHERE state_hash = $2 AND consumed_at IS NULL AND expires_at > $1 AND workspace_id = $3
           AND (started_by = $4 OR connect_link_id = $5) AND platform = $6
         RETURNING reconnect_account_id, instance_url, code_verifier_enc",
    )
    .bind(to_millis(now))
    .bind(&state_hash)
    .bind(starter.workspace_id)
    .bind(starter.user_id)
    .bind(starter.link_id)
    .bind(platform.slug())
    .fetch_optional(db.pool())
    .await?;
    if let Some(claimed) = claimed {
        let code_verifier = match claimed.code_verifier_enc {
            Some(sealed) => match secrets.open(&sealed, &verifier_context(&state_hash)) {
                Ok(verifier) => Some(verifier),
                Err(_) => return Ok(Err(StateProblem::Unknown)),
            },
            None => None,
        };
        return Ok(Ok(PendingConnect {
            platform,
            reconnect_account_id: claimed.reconnect_account_id,
            instance_url: claimed.instance_url,
            code_verifier,
        }));
    }
    // Not claimable: find out why, for a precise message.
    let unclaimable: Option<Unclaimable> = sqlx::query_as(
        "SELECT workspace_id, started_by, connect_link_id, platform, consumed_at, expires_at
         FROM oauth_states WHERE state_hash = $1",
    )
    .bind(&state_hash)
    .fetch_optional(db.pool())
    .await?;
    Ok(Err(unclaimable.map_or(StateProblem::Unknown, |row| {
        row.problem(starter, platform, now)
    })))
}

/// What claiming a state hands back.
#[derive(sqlx::FromRow)]
struct Claimed {
    reconnect_account_id: Option<String>,
    instance_url: Option<String>,
    code_verifier_enc: Option<Vec<u8>>,
}

/// A state that could not be claimed, read again to say why.
#[derive(sqlx::FromRow)]
struct Unclaimable {
    workspace_id: String,
    started_by: Option<String>,
    connect_link_id: Option<String>,
    platform: String,
    #[sqlx(try_from = "MaybeMillis")]
    consumed_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Millis")]
    expires_at: DateTime<Utc>,
}

impl Unclaimable {
    fn problem(
        &self,
        starter: Starter<'_>,
        platform: Platform,
        now: DateTime<Utc>,
    ) -> StateProblem {
        let same_starter = match (starter.user_id, starter.link_id) {
            (Some(user), _) if self.started_by.as_deref() == Some(user) => true,
            (_, Some(link)) => self.connect_link_id.as_deref() == Some(link),
            _ => false,
        };
        if self.platform != platform.slug() {
            StateProblem::Unknown
        } else if self.workspace_id != starter.workspace_id || !same_starter {
            StateProblem::Foreign
        } else if self.consumed_at.is_some() {
            StateProblem::Used
        } else if self.expires_at <= now {
            StateProblem::Expired
        } else {
            StateProblem::Unknown
        }
    }
}

/// Records that the callback which consumed `state` connected the account, so that a second
/// click on the same callback can be told "done" instead of "already used".
pub async fn mark_connected(db: &Db, state: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oauth_states SET outcome = 'connected' WHERE state_hash = $1")
        .bind(hash(state))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Whether an already-used state ended in a stored connection.
pub async fn was_connected(db: &Db, state: &str) -> Result<bool, sqlx::Error> {
    let outcome: Option<Option<String>> =
        sqlx::query_scalar("SELECT outcome FROM oauth_states WHERE state_hash = $1")
            .bind(hash(state))
            .fetch_optional(db.pool())
            .await?;
    Ok(outcome.flatten().as_deref() == Some("connected"))
}

pub async fn delete_older_than(db: &Db, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM oauth_states WHERE created_at <= $1")
        .bind(to_millis(cutoff))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// The connect link a state was issued for, if it was (the callback then finishes without a
/// session).
pub async fn link_of(db: &Db, state: &str) -> Result<Option<String>, sqlx::Error> {
    let link: Option<Option<String>> =
        sqlx::query_scalar("SELECT connect_link_id FROM oauth_states WHERE state_hash = $1")
            .bind(hash(state))
            .fetch_optional(db.pool())
            .await?;
    Ok(link.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclaimable_state_says_why() {
        let now = Utc::now();
        let row = |platform: &str, owner: &str, consumed: bool, expires_in: i64| Unclaimable {
            workspace_id: "acme".into(),
            started_by: Some(owner.into()),
            connect_link_id: None,
            platform: platform.into(),
            consumed_at: consumed.then_some(now),
            expires_at: now + Duration::seconds(expires_in),
        };
        let ada = Starter {
            workspace_id: "acme",
            user_id: Some("ada"),
            link_id: None,
        };
        let problem = |row: Unclaimable| row.problem(ada, Platform::X, now);
        assert_eq!(
            problem(row("reddit", "ada", false, 60)),
            StateProblem::Unknown
        );
        assert_eq!(
            problem(row("x", "mallory", false, 60)),
            StateProblem::Foreign
        );
        let mut other_workspace = row("x", "ada", false, 60);
        other_workspace.workspace_id = "elsewhere".into();
        assert_eq!(problem(other_workspace), StateProblem::Foreign);
        let through_a_link = Starter {
            workspace_id: "acme",
            user_id: None,
            link_id: Some("link"),
        };
        assert_eq!(
            row("x", "ada", false, 60).problem(through_a_link, Platform::X, now),
            StateProblem::Foreign,
            "a person's state is not a link's"
        );
        assert_eq!(problem(row("x", "ada", true, 60)), StateProblem::Used);
        assert_eq!(problem(row("x", "ada", false, 0)), StateProblem::Expired);
    }
}
