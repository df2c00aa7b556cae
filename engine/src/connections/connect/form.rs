//! What the connect form of a platform that starts on a form shows: for a new account or to
//! reconnect one, with the server field's default, the sandbox's hint and the plan's verdict.

use super::Connector;
use crate::connections::{accounts, plans};
use crate::platforms::adapters::adapter;
use crate::AppState;
use domain::{check_connect, ConnectKind, CredentialsForm, Platform, ReconnectTarget};

/// The form for `platform`, reconnecting `account` if given; `None` when the platform does not
/// start on a form or the account is not the person's on that platform. `typed_server` is the
/// server the person typed in an attempt that was just refused (from their session).
pub async fn connect_form(
    app: &AppState,
    who: &Connector,
    platform: Platform,
    account: Option<&str>,
    typed_server: Option<String>,
) -> Result<Option<CredentialsForm>, sqlx::Error> {
    if !platform.connect_method().starts_on_form() {
        return Ok(None);
    }
    let settings = app.config.providers.get(platform);
    let reconnect = match account.filter(|a| !a.is_empty()) {
        Some(id) => {
            let mut conn = app.db.pool().acquire().await?;
            let Some(record) = accounts::find_owned(&mut conn, &who.workspace_id, id)
                .await?
                .filter(|r| r.platform == platform)
            else {
                return Ok(None);
            };
            Some(ReconnectTarget {
                title: record.view(chrono::Utc::now()).title().to_owned(),
                id: id.to_owned(),
            })
        }
        None => None,
    };
    let unavailable_reason = match reconnect {
        Some(_) => None,
        None => {
            let plan = plans::summary_for(&app.db, &who.workspace_id, &who.plan_id).await?;
            check_connect(&plan.limits, &plan.usage, platform, ConnectKind::New)
                .explain(&plan.plan_name)
        }
    };
    Ok(Some(CredentialsForm {
        platform,
        reconnect,
        default_server: Some(settings.api_url.clone()).filter(|u| !u.is_empty()),
        typed_server,
        sandbox_hint: settings
            .sandboxed
            .then(|| adapter(platform).sandbox_hint())
            .flatten(),
        unavailable_reason,
    }))
}
