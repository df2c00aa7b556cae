//! Choosing among several accounts offered after one consent (a person's Pages, say): the
//! offer waits, sealed, for a short time.

use super::error::ConnectError;
use super::store::{connection, store};
use super::Connector;
use crate::connections::accounts::{self};
use crate::platforms::client::{Profile, TokenSet};
use crate::storage::db::{new_id, to_millis};
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use domain::FieldProblem;
use domain::Platform;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

/// How long a person has to pick among several accounts after consenting.
pub const SELECTION_LIFETIME: Duration = Duration::minutes(15);

/// One of several accounts offered after a consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SealedChoice {
    id: String,
    username: String,
    display_name: Option<String>,
    avatar_url: Option<String>,
    token: String,
}

/// What the choice page shows (no tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub title: String,
    pub username: String,
    pub avatar_url: Option<String>,
    pub already_connected: bool,
}

pub(super) fn selection_context(id: &str) -> String {
    format!("connect_selections:{id}:choices")
}

pub(super) async fn save_selection(
    app: &AppState,
    who: &Connector,
    platform: Platform,
    profiles: &[Profile],
    tokens: &TokenSet,
    now: DateTime<Utc>,
) -> Result<String, ConnectError> {
    let choices: Vec<SealedChoice> = profiles
        .iter()
        .map(|p| SealedChoice {
            id: p.platform_account_id.clone(),
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            avatar_url: p.avatar_url.clone(),
            token: p
                .own_token
                .as_ref()
                .unwrap_or(&tokens.access_token)
                .expose_secret()
                .to_owned(),
        })
        .collect();
    let id = new_id();
    let plain = SecretString::from(serde_json::to_string(&choices).expect("choices serialise"));
    sqlx::query(
        "INSERT INTO connect_selections (id, workspace_id, started_by, platform, choices_enc,
             created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&who.workspace_id)
    .bind(&who.user_id)
    .bind(platform.slug())
    .bind(app.secrets.seal(&plain, &selection_context(&id)))
    .bind(to_millis(now))
    .bind(to_millis(now + SELECTION_LIFETIME))
    .execute(app.db.pool())
    .await?;
    Ok(id)
}

pub(super) async fn read_selection(
    app: &AppState,
    who: &Connector,
    id: &str,
    take: bool,
) -> Result<(Platform, Vec<SealedChoice>), ConnectError> {
    let now = to_millis(Utc::now());
    let sql = if take {
        "DELETE FROM connect_selections
         WHERE id = $1 AND workspace_id = $2 AND started_by = $3 AND expires_at > $4
         RETURNING platform, choices_enc"
    } else {
        "SELECT platform, choices_enc FROM connect_selections
         WHERE id = $1 AND workspace_id = $2 AND started_by = $3 AND expires_at > $4"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .bind(&who.workspace_id)
        .bind(&who.user_id)
        .bind(now)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or(ConnectError::SelectionGone)?;
    let platform = Platform::from_slug(&row.try_get::<String, _>("platform")?)
        .ok_or(ConnectError::SelectionGone)?;
    let sealed: Vec<u8> = row.try_get("choices_enc")?;
    let plain = app
        .secrets
        .open(&sealed, &selection_context(id))
        .map_err(|_| ConnectError::SelectionGone)?;
    let choices =
        serde_json::from_str(plain.expose_secret()).map_err(|_| ConnectError::SelectionGone)?;
    Ok((platform, choices))
}

/// The accounts a person may pick from, marking those already connected.
pub async fn selection_choices(
    app: &AppState,
    who: &Connector,
    id: &str,
) -> Result<(Platform, Vec<Choice>), ConnectError> {
    let (platform, choices) = read_selection(app, who, id, false).await?;
    let mut conn = app.db.pool().acquire().await?;
    let mut out = Vec::with_capacity(choices.len());
    for choice in choices {
        let already =
            accounts::find_by_identity(&mut conn, &who.workspace_id, platform, &choice.id)
                .await?
                .is_some();
        out.push(Choice {
            title: choice
                .display_name
                .clone()
                .unwrap_or_else(|| choice.username.clone()),
            id: choice.id,
            username: choice.username,
            avatar_url: choice.avatar_url,
            already_connected: already,
        });
    }
    Ok((platform, out))
}

/// Connects the picked accounts. The selection is used up whatever happens.
pub async fn choose(
    app: &AppState,
    who: &Connector,
    id: &str,
    picked: &[String],
) -> Result<(Platform, usize), ConnectError> {
    if picked.is_empty() {
        return Err(ConnectError::Invalid {
            field: "account",
            problem: FieldProblem::NonePicked,
        });
    }
    let (platform, choices) = read_selection(app, who, id, true).await?;
    let mut connected = 0;
    for choice in choices.into_iter().filter(|c| picked.contains(&c.id)) {
        let profile = Profile {
            platform_account_id: choice.id,
            username: choice.username,
            display_name: choice.display_name,
            avatar_url: choice.avatar_url,
            is_premium: false,
            own_token: Some(SecretString::from(choice.token)),
        };
        let tokens = TokenSet {
            access_token: SecretString::from(String::new()),
            refresh_token: None,
            expires_in: None,
            refresh_expires_in: None,
            scope: None,
        };
        store(
            app,
            who,
            None,
            connection(platform, profile, tokens, json!({}), None),
        )
        .await?;
        connected += 1;
    }
    Ok((platform, connected))
}

/// Forgets choices nobody made in time (housekeeping).
pub async fn delete_expired_selections(app: &AppState) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM connect_selections WHERE expires_at <= $1")
        .bind(to_millis(Utc::now()))
        .execute(app.db.pool())
        .await?;
    Ok(done.rows_affected())
}
