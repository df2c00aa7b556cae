//! Server functions behind the dashboard's forms: every change a dashboard page makes goes
//! through one of these, from an `ActionForm`. The browser posts the form itself (JavaScript off,
//! or a form outside an island) and lands back on a page: where the change shows, or the form's
//! own page, whose `ServerAction` reads the error back and shows it beside the form. One-time
//! values (a new key or secret, a disconnect's toast) travel in the session, never in a link.

use crate::error::AppError;
use leptos::prelude::*;

pub const CONNECTIONS: &str = "/dashboard/connections";
pub const SETTINGS: &str = "/dashboard/settings";
pub const WEBHOOKS: &str = "/dashboard/webhooks";
pub const PEOPLE: &str = "/dashboard/people";

/// The session key under which the workspace a person acts in is kept.
pub const WORKSPACE_KEY: &str = "workspace_id";

/// Text from a form as one path segment: whatever was posted, a path built with it stays one of
/// ours and a valid header.
#[cfg(feature = "ssr")]
fn path_segment(posted: &str) -> String {
    url::form_urlencoded::byte_serialize(posted.as_bytes()).collect()
}

/// The confirmation page of one account's disconnect.
#[cfg(feature = "ssr")]
fn disconnect_page(account: &str) -> String {
    format!("{CONNECTIONS}/{}/disconnect", path_segment(account))
}

/// One account's detail page.
pub fn account_page(account: &str) -> String {
    format!("{CONNECTIONS}/{account}")
}

/// Checks one account now (a health check, or a refresh when one is due) and lands back on its
/// page, whose history shows what came of it. At most once a minute per account.
#[server(prefix = "/api/fn", endpoint = "check_account_now")]
pub async fn check_account_now(account: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use engine::keep_alive::health::CheckNow;
    let outcome = async {
        let member = require(domain::Permission::Connect)?;
        let state = app_state()?;
        match engine::keep_alive::health::check_now(&state, member.workspace_id(), &account)
            .await?
        {
            None => Err(AppError::NotFound),
            Some(CheckNow::Checked(outcome)) => {
                tracing::info!(user_id = %member.user.id, account_id = %account, outcome = outcome.slug(), "account checked on request");
                Ok(())
            }
            Some(CheckNow::TooSoon(wait)) => Err(AppError::TooSoon(
                u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX),
            )),
            Some(CheckNow::NotCheckable) => Err(AppError::Invalid(
                "Demo accounts have no platform to check.".to_owned(),
            )),
        }
    }
    .await;
    let page = account_page(&path_segment(&account));
    land::<CheckAccountNow, _>(&page, &page, outcome)
}

/// Creates an API key; the settings page shows it once.
#[server(prefix = "/api/fn", endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    let outcome = async {
        let member = require(domain::Permission::UseApiKeys)?;
        let state = app_state()?;
        let (id, key) = engine::identity::api_keys::create(&state.db, &member, &name).await?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        if let Err(err) = crate::flash::NEW_API_KEY
            .keep(&state.secrets, &session, &id, &key)
            .await
        {
            tracing::error!(error = %err, "could not keep the new API key for display");
        }
        tracing::info!(user_id = %member.user.id, key_id = %id, "API key created");
        Ok(())
    }
    .await;
    land::<CreateApiKey, _>(SETTINGS, SETTINGS, outcome)
}

/// Revokes one of the person's API keys: tools using it are refused from then on.
#[server(prefix = "/api/fn", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::ApiKeyProblem;
    let outcome = async {
        let member = require(domain::Permission::UseApiKeys)?;
        let state = app_state()?;
        if !engine::identity::api_keys::revoke(&state.db, &member, &id).await? {
            return Err(AppError::ApiKey(ApiKeyProblem::NotFound));
        }
        Ok(())
    }
    .await;
    land::<RevokeApiKey, _>(SETTINGS, &format!("{SETTINGS}?revoked=1"), outcome)
}

/// Adds a webhook endpoint; the webhooks page shows its signing secret once. A refused URL is
/// kept for the form to show again.
#[server(prefix = "/api/fn", endpoint = "add_webhook_endpoint")]
pub async fn add_webhook_endpoint(url: String) -> Result<(), AppError> {
    use crate::flash::{NEW_WEBHOOK_SECRET, TYPED_WEBHOOK_URL};
    use crate::server_context::{app_state, require};
    let outcome = async {
        let member = require(domain::Permission::ManageWebhooks)?;
        let state = app_state()?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        match engine::events::webhooks::create_endpoint(&state, member.workspace_id(), &member.user.email, &url).await
        {
            Ok((id, secret)) => {
                if let Err(err) = NEW_WEBHOOK_SECRET
                    .keep(&state.secrets, &session, &id, &secret)
                    .await
                {
                    tracing::error!(error = %err, "could not keep the new webhook secret for display");
                }
                tracing::info!(user_id = %member.user.id, endpoint_id = %id, "webhook endpoint added");
                Ok(())
            }
            Err(refused) => {
                if let Err(err) = TYPED_WEBHOOK_URL.keep(&session, WEBHOOKS, &url).await {
                    tracing::warn!(error = %err, "could not keep the typed URL for the form");
                }
                Err(refused.into())
            }
        }
    }
    .await;
    land::<AddWebhookEndpoint, _>(WEBHOOKS, WEBHOOKS, outcome)
}

/// Removes a webhook endpoint: nothing more is sent to it.
#[server(prefix = "/api/fn", endpoint = "remove_webhook_endpoint")]
pub async fn remove_webhook_endpoint(id: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::WebhookProblem;
    let outcome = async {
        let member = require(domain::Permission::ManageWebhooks)?;
        let state = app_state()?;
        if !engine::events::webhooks::delete_endpoint(
            &state.db,
            member.workspace_id(),
            &member.user.email,
            &id,
        )
        .await?
        {
            return Err(AppError::Webhook(WebhookProblem::NotFound));
        }
        Ok(())
    }
    .await;
    land::<RemoveWebhookEndpoint, _>(WEBHOOKS, &format!("{WEBHOOKS}?removed=1"), outcome)
}

/// Queues a `webhook.test` event to one endpoint.
#[server(prefix = "/api/fn", endpoint = "test_webhook_endpoint")]
pub async fn test_webhook_endpoint(id: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::WebhookProblem;
    let outcome = async {
        let member = require(domain::Permission::ManageWebhooks)?;
        let state = app_state()?;
        if !engine::events::webhooks::send_test(&state.db, member.workspace_id(), &id).await? {
            return Err(AppError::Webhook(WebhookProblem::NotFound));
        }
        Ok(())
    }
    .await;
    land::<TestWebhookEndpoint, _>(WEBHOOKS, &format!("{WEBHOOKS}?tested=1"), outcome)
}

/// Disconnects one of the person's accounts and goes back to the connections page, where a
/// toast says what happened (kept in the session for one showing, so a crafted link cannot fake
/// it). A second click finds the account gone and says so there too.
#[server(prefix = "/api/fn", endpoint = "disconnect_account")]
pub async fn disconnect_account(account: String) -> Result<(), AppError> {
    use crate::notices::{disconnect_notice, DisconnectOutcome, FLASH_NOTICE_KEY};
    use crate::server_context::{app_state, require};
    use domain::ConnectErrorCode;
    let outcome = async {
        let member = require(domain::Permission::DisconnectOwn)?;
        let state = app_state()?;
        let disconnected =
            engine::connections::disconnect::disconnect(&state, &member, &account).await?;
        let Some(done) = disconnected else {
            return Ok(format!(
                "{CONNECTIONS}?error={}",
                ConnectErrorCode::AlreadyDisconnected
            ));
        };
        tracing::info!(user_id = %member.user.id, account_id = %account, platform = done.platform.slug(), revocation = %done.revocation, "account disconnected");
        let notice = disconnect_notice(&DisconnectOutcome {
            title: &done.title,
            platform: done.platform,
            revocation: done.revocation,
            connected_apps_url: done.connected_apps_url.as_deref(),
            posts_cancelled: done.posts_cancelled.len(),
            posts_continuing: done.posts_continuing.len(),
        });
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        if let Err(err) = session.insert(FLASH_NOTICE_KEY, notice).await {
            tracing::error!(error = %err, "could not keep the disconnect notice for display");
        }
        Ok(format!(
            "{CONNECTIONS}?disconnected={}",
            done.platform.slug()
        ))
    };
    match outcome.await {
        Ok(to) => land::<DisconnectAccount, _>(CONNECTIONS, &to, Ok(())),
        Err(error) => {
            land::<DisconnectAccount, _>(&disconnect_page(&account), CONNECTIONS, Err(error))
        }
    }
}

/// Acts in another of the person's workspaces from now on, landing back on the section they were
/// in (its URL is the same in every workspace).
#[server(prefix = "/api/fn", endpoint = "switch_workspace")]
pub async fn switch_workspace(workspace: String, back: String) -> Result<(), AppError> {
    use crate::server_context::require;
    use domain::{PeopleProblem, Permission};
    let back = if domain::is_local_path(&back) && back.starts_with("/dashboard/") {
        back
    } else {
        CONNECTIONS.to_owned()
    };
    let outcome = async {
        let member = require(Permission::View)?;
        if !member
            .workspaces
            .iter()
            .any(|choice| choice.id == workspace)
        {
            return Err(AppError::People(PeopleProblem::NotMember));
        }
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        session.insert(WORKSPACE_KEY, &workspace).await?;
        Ok(())
    }
    .await;
    land::<SwitchWorkspace, _>(&back, &back, outcome)
}

/// Starts a new workspace, owned by the person, and switches to it.
#[server(prefix = "/api/fn", endpoint = "create_workspace")]
pub async fn create_workspace(name: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::Permission;
    let outcome = async {
        let member = require(Permission::View)?;
        let state = app_state()?;
        let created = engine::identity::workspaces::create(&state.db, &name, &member.user).await?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        session.insert(WORKSPACE_KEY, &created.id).await?;
        tracing::info!(user_id = %member.user.id, workspace_id = %created.id, "workspace created");
        Ok(())
    }
    .await;
    land::<CreateWorkspace, _>(PEOPLE, PEOPLE, outcome)
}

/// Renames the current workspace (owners).
#[server(prefix = "/api/fn", endpoint = "rename_workspace")]
pub async fn rename_workspace(name: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    let outcome = async {
        let member = require(domain::Permission::ManageWorkspace)?;
        let state = app_state()?;
        engine::identity::workspaces::rename(&state.db, &member, &name).await?;
        Ok(())
    }
    .await;
    land::<RenameWorkspace, _>(PEOPLE, PEOPLE, outcome)
}

/// Deletes the current workspace with everything it owns, once its owner has typed its name,
/// and lands on the connections page of another of theirs with a note saying what went.
#[server(prefix = "/api/fn", endpoint = "delete_workspace")]
pub async fn delete_workspace(name: String) -> Result<(), AppError> {
    use crate::notices::{workspace_deleted_notice, FLASH_NOTICE_KEY};
    use crate::server_context::{app_state, require};
    let outcome = async {
        let member = require(domain::Permission::ManageWorkspace)?;
        let state = app_state()?;
        let deleted =
            engine::connections::disconnect::delete_workspace(&state, &member, &name).await?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        session.remove::<String>(WORKSPACE_KEY).await?;
        let notice = workspace_deleted_notice(&deleted.name, deleted.accounts);
        if let Err(err) = session.insert(FLASH_NOTICE_KEY, notice).await {
            tracing::error!(error = %err, "could not keep the deletion notice for display");
        }
        Ok(())
    }
    .await;
    land::<DeleteWorkspace, _>(PEOPLE, &format!("{CONNECTIONS}?deleted=workspace"), outcome)
}

/// Gives a person of the current workspace another role.
#[server(prefix = "/api/fn", endpoint = "change_role")]
pub async fn change_role(user: String, role: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::{PeopleProblem, Permission, Role};
    let outcome = async {
        let member = require(Permission::ManagePeople)?;
        let state = app_state()?;
        let role = Role::parse(&role).ok_or(AppError::People(PeopleProblem::NotAllowed))?;
        engine::identity::workspaces::change_role(&state.db, &member, &user, role).await?;
        Ok(())
    }
    .await;
    land::<ChangeRole, _>(PEOPLE, PEOPLE, outcome)
}

/// Takes a person out of the current workspace, or lets the person leave it. The accounts they
/// connected stay.
#[server(prefix = "/api/fn", endpoint = "remove_person")]
pub async fn remove_person(user: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::Permission;
    let outcome = async {
        let member = require(Permission::View)?;
        let leaving = member.user.id == user;
        if !leaving {
            require(Permission::ManagePeople)?;
        }
        let state = app_state()?;
        engine::identity::workspaces::remove(&state.db, &member, &user).await?;
        Ok(leaving)
    }
    .await;
    match outcome {
        // Whoever leaves lands in another of their workspaces.
        Ok(true) => land::<RemovePerson, _>(PEOPLE, CONNECTIONS, Ok(())),
        Ok(false) => land::<RemovePerson, _>(PEOPLE, PEOPLE, Ok(())),
        Err(error) => land::<RemovePerson, _>(PEOPLE, PEOPLE, Err(error)),
    }
}

/// Invites an email address into the current workspace with a role; the people page shows the
/// link once, to copy.
#[server(prefix = "/api/fn", endpoint = "invite_person")]
pub async fn invite_person(email: String, role: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::{PeopleProblem, Permission, Role};
    let outcome = async {
        let member = require(Permission::ManagePeople)?;
        let state = app_state()?;
        let role = Role::parse(&role).ok_or(AppError::People(PeopleProblem::NotAllowed))?;
        let (id, token) =
            engine::identity::invitations::create(&state.db, &member, &email, role).await?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        if let Err(err) = crate::flash::NEW_INVITATION
            .keep(&state.secrets, &session, &id, &token)
            .await
        {
            tracing::error!(error = %err, "could not keep the new invitation for display");
        }
        tracing::info!(user_id = %member.user.id, invitation_id = %id, "invitation created");
        Ok(())
    }
    .await;
    land::<InvitePerson, _>(PEOPLE, PEOPLE, outcome)
}

/// Revokes an open invitation: its link stops working.
#[server(prefix = "/api/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(id: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::{PeopleProblem, Permission};
    let outcome = async {
        let member = require(Permission::ManagePeople)?;
        let state = app_state()?;
        if !engine::identity::invitations::revoke(&state.db, &member, &id).await? {
            return Err(AppError::People(PeopleProblem::InvitationUnknown));
        }
        Ok(())
    }
    .await;
    land::<RevokeInvitation, _>(PEOPLE, PEOPLE, outcome)
}

/// Makes a connect link for some platforms (or to renew one account); the people page shows it
/// once, to copy.
#[server(prefix = "/api/fn", endpoint = "create_connect_link")]
pub async fn create_connect_link(
    platforms: Option<Vec<String>>,
    account: Option<String>,
    note: String,
    uses: String,
    hours: String,
) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::{LinkProblem, Permission, Platform};
    use engine::connections::connect_links::{self, LinkRequest};
    let outcome = async {
        let member = require(Permission::ShareConnectLinks)?;
        let state = app_state()?;
        let request = LinkRequest {
            platforms: platforms
                .unwrap_or_default()
                .iter()
                .map(|slug| {
                    Platform::from_slug(slug).ok_or(AppError::Link(LinkProblem::NoPlatform))
                })
                .collect::<Result<_, _>>()?,
            reconnect_account_id: account.filter(|id| !id.is_empty()),
            note,
            max_uses: uses
                .trim()
                .parse()
                .map_err(|_| AppError::Link(LinkProblem::InvalidUses))?,
            lifetime: hours
                .trim()
                .parse::<u32>()
                .map(|hours| chrono::Duration::hours(i64::from(hours)))
                .map_err(|_| AppError::Link(LinkProblem::InvalidExpiry))?,
        };
        let (id, token) = connect_links::create(&state.db, &member, request).await?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        if let Err(err) = crate::flash::NEW_CONNECT_LINK
            .keep(&state.secrets, &session, &id, &token)
            .await
        {
            tracing::error!(error = %err, "could not keep the new connect link for display");
        }
        tracing::info!(user_id = %member.user.id, link_id = %id, "connect link created");
        Ok(())
    }
    .await;
    land::<CreateConnectLink, _>(PEOPLE, PEOPLE, outcome)
}

/// Revokes a connect link: it connects nothing more.
#[server(prefix = "/api/fn", endpoint = "revoke_connect_link")]
pub async fn revoke_connect_link(id: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, require};
    use domain::{LinkProblem, Permission};
    let outcome = async {
        let member = require(Permission::ShareConnectLinks)?;
        let state = app_state()?;
        if !engine::connections::connect_links::revoke(&state.db, &member, &id).await? {
            return Err(AppError::Link(LinkProblem::NotFound));
        }
        Ok(())
    }
    .await;
    land::<RevokeConnectLink, _>(PEOPLE, PEOPLE, outcome)
}

/// Accepts an invitation as the signed-in person, who then acts in its workspace.
#[server(prefix = "/api/fn", endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    use crate::server_context::{app_state, reject, signed_in_member};
    let page = invitation_page(&token);
    let outcome = async {
        let member = signed_in_member().ok_or_else(|| reject(AppError::Unauthorized))?;
        let state = app_state()?;
        let token = secrecy::SecretString::from(token.clone());
        let workspace =
            engine::identity::invitations::accept(&state.db, &token, &member.user).await?;
        let session = leptos_axum::extract::<tower_sessions::Session>().await?;
        session.insert(WORKSPACE_KEY, &workspace).await?;
        tracing::info!(user_id = %member.user.id, workspace_id = %workspace, "invitation accepted");
        Ok(())
    }
    .await;
    land::<AcceptInvitation, _>(&page, CONNECTIONS, outcome)
}

/// An invitation's page.
#[cfg(feature = "ssr")]
fn invitation_page(token: &str) -> String {
    engine::identity::invitations::path(&path_segment(token))
}

/// Sends the browser on after a form ran: to `done` when it worked; when it did not and the
/// browser posted the form itself, back to `page` with the error where the page's
/// `ServerAction` for `F` reads it (Leptos' own encoding; a signed-out person goes to the page
/// as it is, which sends them to sign in). A call from the browser bundle gets the error itself,
/// with its status.
#[cfg(feature = "ssr")]
fn land<F: leptos::server_fn::ServerFn, T>(
    page: &str,
    done: &str,
    outcome: Result<T, AppError>,
) -> Result<T, AppError> {
    use crate::server_context::reject;
    let posted_by_the_browser = posted_by_the_browser();
    match &outcome {
        Err(error) if !posted_by_the_browser => {
            reject(error.clone());
        }
        Ok(_) => leptos_axum::redirect(done),
        Err(AppError::Unauthorized) => leptos_axum::redirect(page),
        Err(error) => leptos_axum::redirect(&with_error(F::PATH, page, error)),
    }
    // Post, redirect, get: the page is fetched anew, never the form posted again.
    if let (true, Some(response)) = (
        posted_by_the_browser,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.set_status(http::StatusCode::SEE_OTHER);
    }
    outcome
}

/// A plain form post asks for a page back; the browser bundle's calls do not.
#[cfg(feature = "ssr")]
fn posted_by_the_browser() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// `page` with `error` encoded for the server function at `path`.
#[cfg(feature = "ssr")]
fn with_error(path: &str, page: &str, error: &AppError) -> String {
    use leptos::server_fn::error::ServerFnUrlError;
    // Leptos encodes onto an absolute URL; only the path and query go in the redirect.
    let base = format!("http://plugboard.invalid{page}");
    match ServerFnUrlError::new(path, error.clone()).to_url(&base) {
        Ok(url) => url[url::Position::BeforePath..].to_owned(),
        Err(_) => page.to_owned(),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use domain::ApiKeyProblem;
    use leptos::server_fn::error::ServerFnUrlError;
    use leptos::server_fn::ServerFn;

    #[test]
    fn a_posted_account_id_cannot_leave_the_confirmation_path() {
        for hostile in [
            "a\r\nSet-Cookie: x=1",
            "../../../evil",
            "//evil.example",
            "a?b#c",
        ] {
            let page = disconnect_page(hostile);
            assert!(http::HeaderValue::from_str(&page).is_ok(), "{page}");
            let url = url::Url::parse(&format!("http://x{page}")).unwrap();
            assert_eq!(url.host_str(), Some("x"), "{page}");
            assert_eq!(url.path_segments().unwrap().count(), 4, "{page}");
            assert_eq!((url.query(), url.fragment()), (None, None), "{page}");
        }
        assert_eq!(
            disconnect_page("01a2-b3"),
            "/dashboard/connections/01a2-b3/disconnect"
        );
    }

    #[test]
    fn an_error_lands_on_its_page_as_the_server_action_reads_it() {
        let error = AppError::ApiKey(ApiKeyProblem::TooMany);
        let landing = with_error(CreateApiKey::PATH, SETTINGS, &error);
        let url = url::Url::parse(&format!("http://x{landing}")).unwrap();
        assert_eq!(url.path(), SETTINGS);
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["__path"], "/api/fn/create_api_key");
        assert_eq!(
            ServerFnUrlError::<AppError>::decode_err(&pairs["__err"]),
            error
        );
    }
}
