//! Server functions: the page's only way to data. Each one starts by requiring a signed-in person
//! whose role in their current workspace allows it, and reads only that workspace's rows.

use crate::error::AppError;
use crate::notices::Notice;
use domain::{
    AccountChoices, AccountStory, BillingOverview, ConnectLinkOffer, ConnectedAccount,
    CredentialsForm, DisconnectPreview, InvitationPreview, PeopleOverview, PlanSummary,
    PlatformAvailability, SettingsOverview, WebhooksOverview,
};
use leptos::prelude::*;

/// The workspace's accounts with their display status. Never a token.
#[server(prefix = "/api/fn", endpoint = "connected_accounts")]
pub async fn get_connected_accounts() -> Result<Vec<ConnectedAccount>, AppError> {
    use crate::server_context::{app_state, require};
    let member = require(domain::Permission::View)?;
    let state = app_state()?;
    if !state.config.debug_data_delay.is_zero() {
        tokio::time::sleep(state.config.debug_data_delay).await;
    }
    // Whoever connected an account is named, also after they left the workspace.
    let accounts =
        engine::connections::accounts::list_with_connectors(&state.db, member.workspace_id())
            .await?;
    // The page shows what is stored now; the health check runs behind it and the open page
    // picks up what it finds (see `LiveStatuses`).
    engine::keep_alive::health::start(&state, member.workspace_id());
    // A card shows its account's latest few audit entries.
    const HISTORY_PER_ACCOUNT: usize = 3;
    let mut history = engine::events::audit::recent_by_account(
        &state.db,
        member.workspace_id(),
        HISTORY_PER_ACCOUNT,
    )
    .await?;
    let now = chrono::Utc::now();
    Ok(accounts
        .into_iter()
        .map(|(record, connected_by)| ConnectedAccount {
            history: history.remove(&record.id).unwrap_or_default(),
            connected_by,
            may_disconnect: member.may_disconnect(record.connected_by.as_deref()),
            ..record.view(now)
        })
        .collect())
}

/// One of the workspace's accounts, told for its detail page.
#[server(prefix = "/api/fn", endpoint = "account_story")]
pub async fn get_account_story(account: String) -> Result<AccountStory, AppError> {
    use crate::server_context::{app_state, reject, require};
    let member = require(domain::Permission::View)?;
    let state = app_state()?;
    let story = engine::keep_alive::history::story(
        &state,
        member.workspace_id(),
        &account,
        |connected_by| member.may_disconnect(connected_by),
    )
    .await?
    .ok_or_else(|| reject(AppError::NotFound))?;
    Ok(AccountStory {
        may_check: member.may(domain::Permission::Connect),
        ..story
    })
}

/// The note a form left for this page (a disconnect's outcome), shown once.
#[server(prefix = "/api/fn", endpoint = "flash_notice")]
pub async fn take_flash_notice() -> Result<Option<Notice>, AppError> {
    use crate::server_context::require;
    require(domain::Permission::View)?;
    let session = leptos_axum::extract::<tower_sessions::Session>().await?;
    Ok(session
        .remove::<Notice>(crate::notices::FLASH_NOTICE_KEY)
        .await?)
}

/// What disconnecting one of the workspace's accounts would do, for the confirmation page.
#[server(prefix = "/api/fn", endpoint = "disconnect_preview")]
pub async fn get_disconnect_preview(account: String) -> Result<DisconnectPreview, AppError> {
    use crate::server_context::{app_state, reject, require};
    let member = require(domain::Permission::DisconnectOwn)?;
    let state = app_state()?;
    engine::connections::disconnect::preview(&state, &member, &account)
        .await
        .map_err(|refused| reject(refused.into()))?
        .ok_or_else(|| reject(AppError::NotFound))
}

/// The settings page: API keys (a just-created one shown once) and the whole audit trail.
#[server(prefix = "/api/fn", endpoint = "settings_overview")]
pub async fn get_settings_overview() -> Result<SettingsOverview, AppError> {
    use crate::server_context::{app_state, require};
    use secrecy::ExposeSecret;
    // The most audit entries the settings page lists.
    const AUDIT_SHOWN: i64 = 500;
    let member = require(domain::Permission::View)?;
    let state = app_state()?;
    let new_key = match leptos_axum::extract::<tower_sessions::Session>().await {
        Ok(session) => {
            crate::flash::NEW_API_KEY
                .take(&state.secrets, &session)
                .await
        }
        Err(_) => None,
    };
    Ok(SettingsOverview {
        api_keys: engine::identity::api_keys::list(&state.db, &member).await?,
        new_key: new_key.map(|(_, key)| key.expose_secret().to_owned()),
        audit: engine::events::audit::for_owner(&state.db, member.workspace_id(), AUDIT_SHOWN)
            .await?,
    })
}

/// The webhooks page: endpoints, recent deliveries, a just-created secret (shown once), and the URL
/// typed in a refused attempt.
#[server(prefix = "/api/fn", endpoint = "webhooks_overview")]
pub async fn get_webhooks_overview() -> Result<WebhooksOverview, AppError> {
    use crate::server_context::{app_state, require};
    use secrecy::ExposeSecret;
    let member = require(domain::Permission::ManageWebhooks)?;
    let state = app_state()?;
    let (new_secret, typed_url) = match leptos_axum::extract::<tower_sessions::Session>().await {
        Ok(session) => (
            crate::flash::NEW_WEBHOOK_SECRET
                .take(&state.secrets, &session)
                .await,
            crate::flash::TYPED_WEBHOOK_URL
                .take(&session, crate::forms::WEBHOOKS)
                .await,
        ),
        Err(_) => (None, None),
    };
    Ok(WebhooksOverview {
        endpoints: engine::events::webhooks::list_endpoints(&state.db, member.workspace_id())
            .await?,
        deliveries: engine::events::webhooks::recent_deliveries(
            &state.db,
            member.workspace_id(),
            50,
        )
        .await?,
        new_secret: new_secret.map(|(endpoint_id, secret)| domain::NewWebhookSecret {
            endpoint_id,
            secret: secret.expose_secret().to_owned(),
        }),
        typed_url,
    })
}

/// The workspace's plan, its limits and current usage.
#[server(prefix = "/api/fn", endpoint = "plan_summary")]
pub async fn get_plan_summary() -> Result<PlanSummary, AppError> {
    use crate::server_context::{app_state, require};
    let member = require(domain::Permission::View)?;
    let state = app_state()?;
    Ok(engine::connections::plans::summary_for(
        &state.db,
        member.workspace_id(),
        &member.workspace.plan_id,
    )
    .await?)
}

/// Which platforms this instance can connect, and why not where it cannot.
#[server(prefix = "/api/fn", endpoint = "platform_availability")]
pub async fn get_platform_availability() -> Result<Vec<PlatformAvailability>, AppError> {
    use crate::server_context::{app_state, require};
    use domain::Platform;
    require(domain::Permission::View)?;
    let state = app_state()?;
    Ok(Platform::ALL
        .into_iter()
        .map(|platform| PlatformAvailability {
            platform,
            unavailable_reason: state.config.providers.get(platform).unavailable_reason(),
        })
        .collect())
}

/// The page that connects a credentials platform (or asks a Mastodon instance); with `account`,
/// it reconnects that account.
#[server(prefix = "/api/fn", endpoint = "credentials_form")]
pub async fn get_credentials_form(
    platform: String,
    account: Option<String>,
) -> Result<CredentialsForm, AppError> {
    use crate::server_context::{app_state, reject, require};
    use domain::Platform;
    let member = require(domain::Permission::Connect)?;
    let state = app_state()?;
    let platform = Platform::from_slug(&platform).ok_or_else(|| reject(AppError::NotFound))?;
    let typed_server = match leptos_axum::extract::<tower_sessions::Session>().await {
        Ok(session) => {
            crate::flash::TYPED_SERVER
                .take(&session, platform.slug())
                .await
        }
        Err(_) => None,
    };
    engine::connections::connect::connect_form(
        &state,
        &(&member).into(),
        platform,
        account.as_deref(),
        typed_server,
    )
    .await?
    .ok_or_else(|| reject(AppError::NotFound))
}

/// The accounts a consent covered, to pick from (Facebook Pages).
#[server(prefix = "/api/fn", endpoint = "account_choices")]
pub async fn get_account_choices(selection: String) -> Result<AccountChoices, AppError> {
    use crate::server_context::{app_state, reject, require};
    let member = require(domain::Permission::Connect)?;
    let state = app_state()?;
    match engine::connections::connect::selection_choices(&state, &(&member).into(), &selection)
        .await
    {
        Ok((platform, choices)) => Ok(AccountChoices {
            platform,
            selection_id: selection,
            choices: choices
                .into_iter()
                .map(|c| domain::AccountChoice {
                    id: c.id,
                    title: c.title,
                    username: c.username,
                    avatar_url: c.avatar_url,
                    already_connected: c.already_connected,
                })
                .collect(),
        }),
        Err(engine::connections::connect::ConnectError::SelectionGone) => {
            Err(reject(AppError::NotFound))
        }
        Err(err) => Err(AppError::internal(format!("{err:?}"))),
    }
}

/// The billing page: the current plan with usage, and every plan on offer.
#[server(prefix = "/api/fn", endpoint = "billing_overview")]
pub async fn get_billing_overview() -> Result<BillingOverview, AppError> {
    use crate::server_context::{app_state, require};
    let member = require(domain::Permission::View)?;
    let state = app_state()?;
    let current = engine::connections::plans::summary_for(
        &state.db,
        member.workspace_id(),
        &member.workspace.plan_id,
    )
    .await?;
    let plans = engine::connections::plans::list(&state.db).await?;
    Ok(BillingOverview { current, plans })
}

/// The people page: everyone in the current workspace, with their roles.
#[server(prefix = "/api/fn", endpoint = "people_overview")]
pub async fn get_people_overview() -> Result<PeopleOverview, AppError> {
    use crate::server_context::{app_state, require};
    let member = require(domain::Permission::View)?;
    let state = app_state()?;
    let base = state
        .config
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let (new_invitation_link, new_connect_link) =
        match leptos_axum::extract::<tower_sessions::Session>().await {
            Ok(session) => {
                use secrecy::ExposeSecret;
                let invitation = crate::flash::NEW_INVITATION
                    .take(&state.secrets, &session)
                    .await
                    .map(|(_, token)| {
                        let path = engine::identity::invitations::path(token.expose_secret());
                        format!("{base}{path}")
                    });
                let link = crate::flash::NEW_CONNECT_LINK
                    .take(&state.secrets, &session)
                    .await
                    .map(|(_, token)| {
                        let path = engine::connections::connect_links::path(token.expose_secret());
                        format!("{base}{path}")
                    });
                (invitation, link)
            }
            Err(_) => (None, None),
        };
    let accounts = if member.may(domain::Permission::ShareConnectLinks) {
        engine::connections::accounts::list_owned(&state.db, member.workspace_id())
            .await?
            .into_iter()
            .map(|record| (record.id.clone(), record.username.clone(), record.platform))
            .collect()
    } else {
        Vec::new()
    };
    Ok(PeopleOverview {
        people: engine::identity::workspaces::people(&state.db, member.workspace_id()).await?,
        invitations: engine::identity::invitations::open(&state.db, &member).await?,
        new_invitation_link,
        connect_links: engine::connections::connect_links::open(&state.db, &member).await?,
        new_connect_link,
        accounts,
        workspace_name: member.workspace.name,
        role: member.workspace.role,
        me: member.user.id,
    })
}

/// What an invitation link offers, for its page. Anyone holding the link may read it: the token
/// is the invitee's.
#[server(prefix = "/api/fn", endpoint = "invitation")]
pub async fn get_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use crate::server_context::{app_state, reject, signed_in_member};
    let state = app_state()?;
    let invitation =
        engine::identity::invitations::find(&state.db, &secrecy::SecretString::from(token))
            .await
            .map_err(|problem| reject(problem.into()))?;
    Ok(InvitationPreview {
        workspace_name: invitation.workspace_name,
        email: invitation.email,
        role: invitation.role,
        invited_by: invitation.invited_by,
        expires_at: invitation.expires_at,
        signed_in_as: signed_in_member().map(|member| member.user.email),
    })
}

/// What a connect link offers, for its page: the workspace's name, the note, the platforms.
/// Anyone holding the link may read it; nothing else of the workspace is in it.
#[server(prefix = "/api/fn", endpoint = "connect_link")]
pub async fn get_connect_link(token: String) -> Result<ConnectLinkOffer, AppError> {
    use crate::server_context::{app_state, reject};
    let state = app_state()?;
    let link =
        engine::connections::connect_links::find(&state.db, &secrecy::SecretString::from(token))
            .await?
            .ok_or_else(|| reject(AppError::Link(domain::LinkProblem::NotFound)))?;
    Ok(ConnectLinkOffer {
        workspace_name: link.workspace_name,
        note: link.note,
        platforms: link.platforms,
        reconnects: link.reconnect_username,
        expires_at: link.expires_at,
    })
}
