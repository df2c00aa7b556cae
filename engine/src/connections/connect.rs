//! Connecting accounts: starting an OAuth consent, finishing it at the callback, choosing among
//! several accounts, checking typed credentials, and storing the result: one row per (owner,
//! platform, platform account), updated in place on reconnect, within the plan's limits.

use crate::connections::accounts::{self, NewAccount};
use crate::connections::oauth_state::{self, PendingConnect, StateProblem};
use crate::identity::users::User;
use crate::net::address_guard::UrlRefused;
use crate::platforms::catalog::{Kind, ProviderSettings};
use crate::platforms::client::{Profile, ProviderClient, TokenSet};
use crate::platforms::credentials::{self, Checked, CredentialProblem};
use crate::platforms::failure::{FailureKind, ProviderError};
use crate::platforms::servers;
use crate::storage::db::{new_id, to_millis, Backend};
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use domain::{check_connect, ConnectKind, LimitDecision, Platform, StoredTokenStatus};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use url::Url;

/// How long a person has to pick among several accounts after consenting.
pub const SELECTION_LIFETIME: Duration = Duration::minutes(15);

/// Where a provider call failed, which decides the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Register,
    Token,
    Profile,
    Credentials,
}

#[derive(Debug)]
pub enum ConnectError {
    NotConfigured(String),
    Limit(String),
    AccountNotFound,
    Mismatch,
    State(StateProblem),
    /// The provider redirected back with an error (RFC 6749 §4.1.2.1 and its variants).
    ProviderRedirect {
        code: String,
        description: Option<String>,
    },
    Provider {
        stage: Stage,
        error: ProviderError,
    },
    MissingCode,
    UrlRefused {
        field: &'static str,
        problem: UrlRefused,
    },
    /// A typed field is wrong (`code` names what, for the form to say).
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    SelectionGone,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for ConnectError {
    fn from(err: sqlx::Error) -> Self {
        ConnectError::Database(err)
    }
}

impl ConnectError {
    /// The `error` code the connections page's toast understands.
    pub fn code(&self) -> String {
        let code = match self {
            ConnectError::NotConfigured(_) => "not_configured",
            ConnectError::Limit(_) => "limit_reached",
            ConnectError::AccountNotFound => "account_not_found",
            ConnectError::Mismatch => "account_mismatch",
            ConnectError::State(StateProblem::Missing | StateProblem::Unknown) => "invalid_state",
            ConnectError::State(StateProblem::Used) => "state_used",
            ConnectError::State(StateProblem::Expired) => "state_expired",
            ConnectError::State(StateProblem::Foreign) => "state_mismatch",
            ConnectError::ProviderRedirect { code, .. } => return code.clone(),
            ConnectError::Provider { stage, error } => match (error.kind, stage) {
                (FailureKind::Terminal, Stage::Profile) => "invalid_token",
                (FailureKind::Terminal, Stage::Credentials) => "invalid_credentials",
                // Whatever words a platform uses, a code it will not trade is a refused grant.
                (FailureKind::Terminal | FailureKind::Rejected, Stage::Token) => "invalid_grant",
                (FailureKind::Terminal, _) => "invalid_grant",
                (FailureKind::Misconfigured, _) => "invalid_client",
                (FailureKind::RateLimited | FailureKind::Unavailable, _) => {
                    "temporarily_unavailable"
                }
                (FailureKind::Timeout, _) => "provider_timeout",
                (FailureKind::Network, _) => "provider_unavailable",
                (FailureKind::Rejected, _) => match error.code.as_deref() {
                    Some(code) if is_oauth_code(code) => return code.to_owned(),
                    _ => "provider_error",
                },
                (FailureKind::Unexpected, _) => "unexpected_response",
            },
            ConnectError::MissingCode => "invalid_request",
            ConnectError::UrlRefused { .. } | ConnectError::Invalid { .. } => "invalid_request",
            ConnectError::SelectionGone => "state_expired",
            ConnectError::Database(_) => "internal_error",
        };
        code.to_owned()
    }

    /// Extra words for the toast: the provider's own, or ours.
    pub fn description(&self) -> Option<String> {
        match self {
            ConnectError::NotConfigured(reason) | ConnectError::Limit(reason) => {
                Some(reason.clone())
            }
            ConnectError::ProviderRedirect { description, .. } => description.clone(),
            ConnectError::Provider { error, .. } => error.message.clone(),
            ConnectError::UrlRefused { problem, .. } => Some(problem.to_string()),
            _ => None,
        }
    }

    /// For a form: the field at fault and a code naming the problem.
    pub fn field_error(&self) -> Option<(&'static str, &'static str)> {
        match self {
            ConnectError::Invalid { field, code } => Some((field, code)),
            ConnectError::UrlRefused { field, problem } => Some((
                field,
                match problem {
                    UrlRefused::NotHttp => "invalid_url",
                    UrlRefused::Unresolvable => "unresolvable_url",
                    UrlRefused::Private => "private_url",
                },
            )),
            _ => None,
        }
    }
}

/// Only plain OAuth-style codes pass through to the page's URL.
fn is_oauth_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

fn provider_error(stage: Stage) -> impl Fn(ProviderError) -> ConnectError {
    move |error| ConnectError::Provider { stage, error }
}

fn url_refused(field: &'static str) -> impl Fn(UrlRefused) -> ConnectError {
    move |problem| ConnectError::UrlRefused { field, problem }
}

/// The client for a platform, with Plugboard's callback URL.
fn client_for(app: &AppState, settings: &ProviderSettings) -> ProviderClient {
    ProviderClient::new(
        settings,
        app.http.clone(),
        app.config.providers.callback_url(settings.platform),
    )
}

/// Normalises a Mastodon instance as typed (`mastodon.social`, `https://mastodon.social/`): a
/// server and nothing else (no user name, query or fragment).
pub fn instance_url(input: &str) -> Result<Url, ConnectError> {
    let input = input.trim().trim_end_matches('/');
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    Url::parse(&with_scheme)
        .ok()
        .filter(credentials::is_plain_server_url)
        .ok_or(ConnectError::Invalid {
            field: "instance",
            code: "invalid_url",
        })
}

pub(crate) async fn mastodon_client(
    app: &AppState,
    instance: &str,
) -> Result<ProviderClient, ConnectError> {
    let settings = app.config.providers.get(Platform::Mastodon);
    let url = instance_url(instance)?;
    let http = servers::http_for_typed_url(app, settings, &url)
        .await
        .map_err(url_refused("instance"))?;
    let instance = url.as_str().trim_end_matches('/').to_owned();
    let base = client_for(app, settings);
    let (client_id, client_secret) =
        mastodon_app(app, &http, &instance, &base.redirect_uri).await?;
    Ok(base
        .for_instance(&instance, client_id, client_secret)
        .with_http(http))
}

/// Plugboard's app on a Mastodon instance: registered on first use, then remembered.
async fn mastodon_app(
    app: &AppState,
    http: &reqwest::Client,
    instance: &str,
    redirect_uri: &str,
) -> Result<(String, SecretString), ConnectError> {
    let context = |instance: &str| format!("mastodon_apps:{instance}:client_secret");
    let find = || async {
        let row = sqlx::query(
            "SELECT client_id, client_secret_enc FROM mastodon_apps WHERE instance_url = $1 AND redirect_uri = $2",
        )
        .bind(instance)
        .bind(redirect_uri)
        .fetch_optional(app.db.pool())
        .await?;
        row.map(|row| -> Result<_, ConnectError> {
            let sealed: Vec<u8> = row.try_get("client_secret_enc")?;
            let secret = app
                .secrets
                .open(&sealed, &context(instance))
                .map_err(|e| ConnectError::Database(sqlx::Error::Decode(Box::new(e))))?;
            Ok((row.try_get("client_id")?, secret))
        })
        .transpose()
    };
    if let Some(found) = find().await? {
        return Ok(found);
    }
    let spec = crate::platforms::catalog::spec(Platform::Mastodon);
    let reply = crate::net::http::send_capped(
        http.post(format!("{instance}/api/v1/apps")).form(&[
            ("client_name", "Plugboard"),
            ("redirect_uris", redirect_uri),
            ("scopes", &spec.scopes.join(" ")),
            ("website", app.config.base_url.as_str()),
        ]),
        crate::net::http::MAX_BODY,
    )
    .await
    .map_err(|e| provider_error(Stage::Register)(e.into()))?;
    if !reply.is_success() {
        return Err(provider_error(Stage::Register)(
            crate::platforms::failure::classify_reply(&reply, spec),
        ));
    }
    let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    let (Some(client_id), Some(client_secret)) = (
        body.get("client_id").and_then(Value::as_str),
        body.get("client_secret").and_then(Value::as_str),
    ) else {
        return Err(provider_error(Stage::Register)(ProviderError::unexpected(
            "the instance did not register an app (is this a Mastodon server?)",
        )));
    };
    let secret = SecretString::from(client_secret.to_owned());
    // Two first connects at once: the first registration stored wins, both use it.
    sqlx::query(
        "INSERT INTO mastodon_apps (instance_url, redirect_uri, client_id, client_secret_enc, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance_url, redirect_uri) DO NOTHING",
    )
    .bind(instance)
    .bind(redirect_uri)
    .bind(client_id)
    .bind(app.secrets.seal(&secret, &context(instance)))
    .bind(to_millis(Utc::now()))
    .execute(app.db.pool())
    .await?;
    Ok(find().await?.expect("just stored"))
}

/// Refuses a connect that would go over the plan (reconnects never count).
async fn check_limit(app: &AppState, user: &User, platform: Platform) -> Result<(), ConnectError> {
    let plan = crate::plans::summary_for(&app.db, &user.id, &user.plan_id).await?;
    match check_connect(&plan.limits, &plan.usage, platform, ConnectKind::New)
        .explain(&plan.plan_name)
    {
        Some(reason) => Err(ConnectError::Limit(reason)),
        None => Ok(()),
    }
}

/// The account a Reconnect button names, which must be the owner's and on this platform.
async fn reconnect_target(
    app: &AppState,
    user: &User,
    platform: Platform,
    account_id: &str,
) -> Result<accounts::AccountRecord, ConnectError> {
    let mut conn = app.db.pool().acquire().await?;
    accounts::find_owned(&mut conn, &user.id, account_id)
        .await?
        .filter(|account| account.platform == platform)
        .ok_or(ConnectError::AccountNotFound)
}

/// Starts an OAuth connect: checks the plan, issues a state (with a PKCE verifier where the
/// platform takes one) and returns the consent URL to redirect to.
pub async fn start(
    app: &AppState,
    user: &User,
    platform: Platform,
    reconnect_account_id: Option<&str>,
    instance: Option<&str>,
) -> Result<String, ConnectError> {
    let settings = app.config.providers.get(platform);
    if settings.spec().kind != Kind::Oauth2 {
        return Err(ConnectError::Invalid {
            field: "platform",
            code: "uses_credentials",
        });
    }
    if let Some(reason) = settings.unavailable_reason() {
        return Err(ConnectError::NotConfigured(reason));
    }
    let instance = match reconnect_account_id {
        Some(id) => {
            let account = reconnect_target(app, user, platform, id).await?;
            account
                .metadata
                .get("instance_url")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| instance.map(str::to_owned))
        }
        None => {
            check_limit(app, user, platform).await?;
            instance.map(str::to_owned)
        }
    };
    let (client, instance_url) = if platform == Platform::Mastodon {
        let instance = instance.unwrap_or_else(|| settings.api_url.clone());
        let client = mastodon_client(app, &instance).await?;
        let url = client.api_url.clone();
        (client, Some(url))
    } else {
        (client_for(app, settings), None)
    };
    let (challenge, verifier) = if client.spec.pkce {
        let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        (
            Some(challenge),
            Some(SecretString::from(verifier.secret().clone())),
        )
    } else {
        (None, None)
    };
    let pending = PendingConnect {
        platform,
        reconnect_account_id: reconnect_account_id.map(str::to_owned),
        instance_url,
        code_verifier: verifier,
    };
    let state = oauth_state::issue(&app.db, &app.secrets, &user.id, &pending, Utc::now()).await?;
    client
        .authorize_url(&state, challenge.as_ref().map(|c| c.as_str()))
        .map_err(provider_error(Stage::Token))
}

/// The query parameters a provider redirects back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_reason: Option<String>,
}

impl CallbackParams {
    /// What the platform said by coming back with an error (RFC 6749 §4.1.2.1, or Meta's
    /// `error_reason=user_denied`), as a code the page understands and at most 300 characters of
    /// its own words. `None` when it came back with no error.
    pub fn refusal(&self) -> Option<ConnectError> {
        let error = self
            .error
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())?;
        let code = if self.error_reason.as_deref() == Some("user_denied") {
            "access_denied"
        } else if is_oauth_code(error) {
            error
        } else {
            "provider_error"
        };
        Some(ConnectError::ProviderRedirect {
            code: code.to_owned(),
            description: self
                .error_description
                .as_deref()
                .map(|d| d.chars().take(300).collect()),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    Connected(ConnectKind),
    /// A second click on a callback that already connected the account.
    AlreadyConnected,
    /// Several accounts came back: the person picks at `/dashboard/connections/select/<id>`.
    Choose(String),
}

/// Finishes an OAuth connect at the callback. The code is exchanged at most once: the state is
/// consumed (atomically) before anything is sent to the platform.
pub async fn finish(
    app: &AppState,
    user: &User,
    platform: Platform,
    params: CallbackParams,
) -> Result<CallbackOutcome, ConnectError> {
    let now = Utc::now();
    let consumed = oauth_state::consume(
        &app.db,
        &app.secrets,
        params.state.as_deref(),
        &user.id,
        platform,
        now,
    )
    .await?;
    if let Some(refusal) = params.refusal() {
        return Err(refusal);
    }
    let pending = match consumed {
        Ok(pending) => pending,
        Err(StateProblem::Used)
            if oauth_state::was_connected(&app.db, params.state.as_deref().unwrap_or_default())
                .await? =>
        {
            return Ok(CallbackOutcome::AlreadyConnected)
        }
        Err(problem) => return Err(ConnectError::State(problem)),
    };
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or(ConnectError::MissingCode)?;
    let settings = app.config.providers.get(platform);
    let client = match &pending.instance_url {
        Some(instance) if platform == Platform::Mastodon => mastodon_client(app, instance).await?,
        _ => client_for(app, settings),
    };
    let verifier = pending
        .code_verifier
        .as_ref()
        .map(|v| v.expose_secret().to_owned());
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .map_err(provider_error(Stage::Token))?;
    let profiles = client
        .profiles(&tokens.access_token)
        .await
        .map_err(provider_error(Stage::Profile))?;
    let metadata = match &pending.instance_url {
        Some(instance) => json!({ "instance_url": instance }),
        None => json!({}),
    };
    let outcome = match (&pending.reconnect_account_id, profiles.len()) {
        (None, n) if n > 1 => {
            let id = save_selection(app, &user.id, platform, &profiles, &tokens, now).await?;
            CallbackOutcome::Choose(id)
        }
        (reconnect, _) => {
            let profile = match reconnect {
                Some(account_id) => {
                    let target = reconnect_target(app, user, platform, account_id).await?;
                    profiles
                        .iter()
                        .find(|p| p.platform_account_id == target.platform_account_id)
                        .or(profiles.first())
                        .cloned()
                }
                None => profiles.first().cloned(),
            }
            .expect("profiles() never returns an empty list");
            let grant = (tokens.access_token.clone(), tokens.refresh_token.clone());
            let stored = store(
                app,
                &user.id,
                &user.email,
                reconnect.as_deref(),
                connection(platform, profile, tokens, metadata, None),
            )
            .await;
            if let Err(ConnectError::Mismatch) = stored {
                // The person consented as another account: that fresh grant must not live on.
                discard_grant(&client, &grant.0, grant.1.as_ref()).await;
            }
            let kind = stored?;
            if let Some(state) = params.state.as_deref() {
                oauth_state::mark_connected(&app.db, state).await?;
            }
            CallbackOutcome::Connected(kind)
        }
    };
    Ok(outcome)
}

/// Revokes a grant Plugboard will not keep, where the platform can, best effort.
async fn discard_grant(
    client: &ProviderClient,
    access: &SecretString,
    refresh: Option<&SecretString>,
) {
    let outcome = match client.revoke(access, refresh).await {
        None => "not_supported",
        Some(Ok(())) => "revoked",
        Some(Err(error)) => {
            tracing::warn!(platform = client.platform.slug(), error = %error, "revoking an unwanted grant failed");
            "failed"
        }
    };
    metrics::counter!("plugboard_unwanted_grants_total", "platform" => client.platform.slug(), "revocation" => outcome)
        .increment(1);
}

/// Turns what a platform returned into a row to store.
fn connection(
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
        is_twitter_premium: profile.is_premium,
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

/// Stores a connection in one transaction: the owner's row is locked (PostgreSQL; SQLite's write
/// transaction is exclusive already), the limit is checked against the current count, and the
/// account is inserted, or updated in place when the owner already has it.
pub async fn store(
    app: &AppState,
    owner_id: &str,
    actor: &str,
    reconnect_account_id: Option<&str>,
    mut account: NewAccount,
) -> Result<ConnectKind, ConnectError> {
    let platform = account.platform;
    let mut tx = app.db.begin_write().await?;
    if app.db.backend() == Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(owner_id)
            .execute(&mut *tx)
            .await?;
    }
    let existing =
        accounts::find_by_identity(&mut tx, owner_id, platform, &account.platform_account_id)
            .await?;
    if let Some(target_id) = reconnect_account_id {
        let target = accounts::find_owned(&mut tx, owner_id, target_id)
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
            check_limit_in(&mut tx, owner_id, platform).await?;
            let id = accounts::insert(&mut tx, &app.secrets, owner_id, account).await?;
            (ConnectKind::New, id)
        }
    };
    let username = event["username"].as_str().unwrap_or_default().to_owned();
    let mut data = event;
    data["account_id"] = json!(id);
    let (kind_name, audit_action) = match kind {
        ConnectKind::New => (
            crate::events::webhooks::ACCOUNT_CONNECTED,
            crate::events::audit::ACCOUNT_CONNECTED,
        ),
        ConnectKind::Reconnect => (
            crate::events::webhooks::ACCOUNT_RECONNECTED,
            crate::events::audit::ACCOUNT_RECONNECTED,
        ),
    };
    crate::events::webhooks::record_event(&mut tx, owner_id, kind_name, data, None).await?;
    let subject = crate::events::audit::Subject {
        account_id: Some(&id),
        platform: Some(platform),
        detail: Some(&username),
    };
    crate::events::audit::record(&mut tx, owner_id, actor, audit_action, subject).await?;
    tx.commit().await?;
    Ok(kind)
}

async fn check_limit_in(
    conn: &mut AnyConnection,
    owner_id: &str,
    platform: Platform,
) -> Result<(), ConnectError> {
    let plan_id: String = sqlx::query_scalar("SELECT plan_id FROM users WHERE id = $1")
        .bind(owner_id)
        .fetch_one(&mut *conn)
        .await?;
    let (plan_name, limits) = crate::plans::limits_of(conn, &plan_id).await?;
    let usage = accounts::usage(conn, owner_id).await?;
    match check_connect(&limits, &usage, platform, ConnectKind::New) {
        LimitDecision::Allowed => Ok(()),
        refused => Err(ConnectError::Limit(
            refused.explain(&plan_name).unwrap_or_default(),
        )),
    }
}

/// New metadata over old: what the platform said now wins, what it did not say is kept.
fn merged(old: &Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut out = old.clone();
            out.extend(new);
            Value::Object(out)
        }
        (_, new) => new,
    }
}

/// One of several accounts offered after a consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SealedChoice {
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

fn selection_context(id: &str) -> String {
    format!("connect_selections:{id}:choices")
}

async fn save_selection(
    app: &AppState,
    owner_id: &str,
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
        "INSERT INTO connect_selections (id, owner_id, platform, choices_enc, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(owner_id)
    .bind(platform.slug())
    .bind(app.secrets.seal(&plain, &selection_context(&id)))
    .bind(to_millis(now))
    .bind(to_millis(now + SELECTION_LIFETIME))
    .execute(app.db.pool())
    .await?;
    Ok(id)
}

async fn read_selection(
    app: &AppState,
    user: &User,
    id: &str,
    take: bool,
) -> Result<(Platform, Vec<SealedChoice>), ConnectError> {
    let now = to_millis(Utc::now());
    let sql = if take {
        "DELETE FROM connect_selections WHERE id = $1 AND owner_id = $2 AND expires_at > $3
         RETURNING platform, choices_enc"
    } else {
        "SELECT platform, choices_enc FROM connect_selections WHERE id = $1 AND owner_id = $2 AND expires_at > $3"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .bind(&user.id)
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
    user: &User,
    id: &str,
) -> Result<(Platform, Vec<Choice>), ConnectError> {
    let (platform, choices) = read_selection(app, user, id, false).await?;
    let mut conn = app.db.pool().acquire().await?;
    let mut out = Vec::with_capacity(choices.len());
    for choice in choices {
        let already = accounts::find_by_identity(&mut conn, &user.id, platform, &choice.id)
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
    user: &User,
    id: &str,
    picked: &[String],
) -> Result<(Platform, usize), ConnectError> {
    if picked.is_empty() {
        return Err(ConnectError::Invalid {
            field: "account",
            code: "none_picked",
        });
    }
    let (platform, choices) = read_selection(app, user, id, true).await?;
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
            &user.id,
            &user.email,
            None,
            connection(platform, profile, tokens, json!({}), None),
        )
        .await?;
        connected += 1;
    }
    Ok((platform, connected))
}

/// What a person typed on a credentials form.
#[derive(Debug)]
pub enum CredentialInput {
    Bluesky {
        identifier: String,
        app_password: SecretString,
        pds_url: Option<String>,
    },
    Telegram {
        bot_token: SecretString,
    },
    Listmonk {
        base_url: String,
        api_user: String,
        token: SecretString,
    },
}

impl CredentialInput {
    pub fn platform(&self) -> Platform {
        match self {
            CredentialInput::Bluesky { .. } => Platform::Bluesky,
            CredentialInput::Telegram { .. } => Platform::Telegram,
            CredentialInput::Listmonk { .. } => Platform::Listmonk,
        }
    }
}

/// Checks typed credentials with the platform and stores the account only if they work.
pub async fn connect_credentials(
    app: &AppState,
    user: &User,
    input: CredentialInput,
    reconnect_account_id: Option<&str>,
) -> Result<ConnectKind, ConnectError> {
    let platform = input.platform();
    let settings = app.config.providers.get(platform);
    match reconnect_account_id {
        Some(id) => {
            reconnect_target(app, user, platform, id).await?;
        }
        None => check_limit(app, user, platform).await?,
    }
    // Bluesky's session, to end it if it turns out to be another account's.
    let mut bluesky_session = None;
    let checked = match &input {
        CredentialInput::Bluesky {
            identifier,
            app_password,
            pds_url,
        } => {
            let pds = match pds_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(pds) => {
                    credentials::check_base_url(pds, "pds_url").map_err(credential_error)?
                }
                None => Url::parse(&settings.api_url).map_err(|_| {
                    ConnectError::NotConfigured("BLUESKY_API_URL is not a URL".into())
                })?,
            };
            let http = servers::http_for_typed_url(app, settings, &pds)
                .await
                .map_err(url_refused("pds_url"))?;
            let checked = credentials::bluesky(&http, &pds, identifier, app_password).await;
            bluesky_session = Some((http, pds));
            checked
        }
        CredentialInput::Telegram { bot_token } => {
            credentials::telegram(&app.http, &settings.api_url, bot_token).await
        }
        CredentialInput::Listmonk {
            base_url,
            api_user,
            token,
        } => {
            let base =
                credentials::check_base_url(base_url, "base_url").map_err(credential_error)?;
            let http = servers::http_for_typed_url(app, settings, &base)
                .await
                .map_err(url_refused("base_url"))?;
            credentials::listmonk(&http, &base, api_user, token).await
        }
    }
    .map_err(credential_error)?;
    let Checked {
        profile,
        tokens,
        metadata,
        extra_secret,
    } = checked;
    let refresh = tokens.refresh_token.clone();
    let stored = store(
        app,
        &user.id,
        &user.email,
        reconnect_account_id,
        connection(platform, profile, tokens, metadata, extra_secret),
    )
    .await;
    if let (Err(ConnectError::Mismatch), Some((http, pds)), Some(refresh)) =
        (&stored, bluesky_session, refresh)
    {
        // Signed in as another account: end the session just made for it.
        if let Err(error) = credentials::bluesky_end_session(&http, pds.as_str(), &refresh).await {
            tracing::warn!(error = %error, "ending an unwanted Bluesky session failed");
        }
    }
    stored
}

fn credential_error(problem: CredentialProblem) -> ConnectError {
    match problem {
        CredentialProblem::Field { field, code } => ConnectError::Invalid { field, code },
        CredentialProblem::Refused { field } => ConnectError::Invalid {
            field,
            code: "rejected",
        },
        CredentialProblem::Provider(error) => ConnectError::Provider {
            stage: Stage::Credentials,
            error,
        },
    }
}

/// Where a refused attempt's typed server waits, in the person's session, for the form to show it
/// again (once). Never the query string: a link could otherwise choose where credentials go.
const TYPED_SERVER: &str = "connect_typed_server";

pub async fn keep_typed_server(
    session: &tower_sessions::Session,
    platform: Platform,
    server: &str,
) -> Result<(), tower_sessions::session::Error> {
    session
        .insert(TYPED_SERVER, (platform.slug(), server.trim()))
        .await
}

/// The server typed in the last refused attempt on this platform's form, if any (taken: once).
pub async fn take_typed_server(
    session: &tower_sessions::Session,
    platform: Platform,
) -> Option<String> {
    let (slug, server): (String, String) = session.remove(TYPED_SERVER).await.ok().flatten()?;
    (slug == platform.slug() && !server.is_empty()).then_some(server)
}

/// Forgets choices nobody made in time (housekeeping).
pub async fn delete_expired_selections(app: &AppState) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM connect_selections WHERE expires_at <= $1")
        .bind(to_millis(Utc::now()))
        .execute(app.db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_codes_pass_through() {
        assert!(is_oauth_code("access_denied"));
        assert!(!is_oauth_code("<script>"));
        assert!(!is_oauth_code(""));
        assert!(!is_oauth_code(&"a".repeat(65)));
    }

    #[test]
    fn errors_map_to_the_toasts_codes() {
        let provider = |kind, stage| ConnectError::Provider {
            stage,
            error: ProviderError::new(kind),
        };
        assert_eq!(
            provider(FailureKind::Terminal, Stage::Token).code(),
            "invalid_grant"
        );
        assert_eq!(
            provider(FailureKind::Terminal, Stage::Profile).code(),
            "invalid_token"
        );
        assert_eq!(
            provider(FailureKind::Unavailable, Stage::Token).code(),
            "temporarily_unavailable"
        );
        assert_eq!(
            provider(FailureKind::Timeout, Stage::Profile).code(),
            "provider_timeout"
        );
        assert_eq!(
            provider(FailureKind::Misconfigured, Stage::Token).code(),
            "invalid_client"
        );
        assert_eq!(ConnectError::State(StateProblem::Used).code(), "state_used");
        assert_eq!(
            ConnectError::State(StateProblem::Foreign).code(),
            "state_mismatch"
        );
        assert_eq!(ConnectError::Mismatch.code(), "account_mismatch");
        assert_eq!(ConnectError::Limit("x".into()).code(), "limit_reached");
    }

    #[test]
    fn instances_are_normalised() {
        assert_eq!(
            instance_url("mastodon.social").unwrap().as_str(),
            "https://mastodon.social/"
        );
        assert_eq!(
            instance_url(" https://fosstodon.org/ ").unwrap().as_str(),
            "https://fosstodon.org/"
        );
        assert!(instance_url("not a host!").is_err());
        for smuggled in [
            "user:pw@mastodon.social",
            "mastodon.social/?x=1",
            "mastodon.social#frag",
        ] {
            assert!(instance_url(smuggled).is_err(), "{smuggled}");
        }
    }

    #[test]
    fn metadata_merges_new_over_old() {
        let old = json!({"a": 1, "b": 2});
        assert_eq!(
            merged(&old, json!({"b": 3, "c": 4})),
            json!({"a": 1, "b": 3, "c": 4})
        );
    }
}
