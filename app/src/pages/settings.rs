use crate::api::get_settings_overview;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::pages::{when, LoadError};
use domain::{ApiKeyProblem, ApiKeyView, AuditEntry, SettingsOverview};
use leptos::prelude::*;
use leptos_meta::Title;

fn error_message(code: &str) -> &'static str {
    match ApiKeyProblem::parse(code) {
        Some(ApiKeyProblem::InvalidName) => {
            "Give the key a name (1 to 80 characters), like the tool that will use it."
        }
        Some(ApiKeyProblem::TooMany) => {
            "You have as many API keys as Plugboard allows. Revoke one first."
        }
        Some(ApiKeyProblem::NotFound) => "That key was already revoked.",
        // A code this page does not know (an old link) gets the general words.
        Some(ApiKeyProblem::InternalError) | None => {
            "Something went wrong on Plugboard's side. Please try again."
        }
    }
}

/// `/dashboard/settings`: personal API keys for publishing tools, and everything that happened.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = crate::page_query();
    let get = |key: &str| crate::query_value(&query, key);
    let error = get("error").map(|code| error_message(&code));
    let note =
        get("revoked").map(|_| "The key was revoked: tools using it are refused from now on.");
    let overview = Resource::new(|| (), |_| get_settings_overview());
    view! {
        <Title text="Settings · Plugboard"/>
        <DashboardLayout section=Section::Settings>
            <div class="page-heading">
                <h1>"Settings"</h1>
                <p>"API keys for your publishing tools, and a record of every change to your connections."</p>
            </div>
            {note.map(|text| view! { <p class="notice" role="status">{text}</p> })}
            <Suspense>
                <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, AppError>(view! { <SettingsDetails overview error/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

#[component]
fn SettingsDetails(overview: SettingsOverview, error: Option<&'static str>) -> impl IntoView {
    view! {
        {overview.new_key.map(|key| view! {
            <div class="notice secret-once" role="status">
                <p><strong>"Copy this API key now: it is not shown again."</strong></p>
                <p><code class="secret" data-testid="new-api-key">{key}</code></p>
                <p class="hint">"Send it as " <code>"Authorization: Bearer <key>"</code> " to " <a href="/api/v1/openapi.json">"the integration API"</a> "."</p>
            </div>
        })}
        <ApiKeys keys=overview.api_keys error/>
        <ActivityLog entries=overview.audit/>
    }
}

#[component]
fn ApiKeys(keys: Vec<ApiKeyView>, error: Option<&'static str>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="keys-heading">
            <header class="panel-header"><h2 id="keys-heading">"API keys"</h2></header>
            <p class="hint">
                "A key lets a publishing tool list your accounts, get fresh tokens for them and schedule posts. "
                "It reaches only your accounts."
            </p>
            {if keys.is_empty() {
                view! { <p class="hint">"No keys yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="endpoints api-keys">
                        {keys.into_iter().map(|key| view! { <ApiKeyRow key/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <form class="auth-form endpoint-form" method="post" action="/dashboard/settings/api-keys">
                <label>
                    "Key name"
                    <input
                        type="text"
                        name="name"
                        required
                        maxlength="80"
                        placeholder="Publishing tool"
                        aria-invalid=error.is_some().then_some("true")
                        aria-describedby=error.is_some().then_some("key-error")
                    />
                </label>
                {error.map(|message| view! { <p class="form-error" id="key-error" role="alert">{message}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Create key"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn ApiKeyRow(key: ApiKeyView) -> impl IntoView {
    let used = match key.last_used_at {
        Some(at) => format!("last used {}", when(at)),
        None => "never used".to_owned(),
    };
    view! {
        <li class="endpoint" data-key-id=key.id.clone()>
            <div>
                <p class="endpoint-url"><strong>{key.name.clone()}</strong> " " <code>{format!("{}…", key.prefix)}</code></p>
                <p class="hint">{format!("Created {}, {used}", when(key.created_at))}</p>
            </div>
            <form method="post" action=format!("/dashboard/settings/api-keys/{}/revoke", key.id)>
                <button type="submit" class="button button-quiet button-danger" aria-label=format!("Revoke {}", key.name)>
                    "Revoke"
                </button>
            </form>
        </li>
    }
}

/// The whole audit trail, newest first.
#[component]
fn ActivityLog(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="activity-heading">
            <header class="panel-header"><h2 id="activity-heading">"Activity"</h2></header>
            {if entries.is_empty() {
                view! { <p class="hint">"Nothing has happened yet."</p> }.into_any()
            } else {
                view! {
                    <table class="usage-table activity">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"About"</th>
                                <th scope="col">"Who"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {entries.into_iter().map(|entry| view! { <ActivityRow entry/> }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn ActivityRow(entry: AuditEntry) -> impl IntoView {
    let about = match (entry.platform, entry.detail.clone()) {
        (Some(platform), Some(detail)) => format!("{detail} on {platform}"),
        (Some(platform), None) => platform.display_name().to_owned(),
        (None, detail) => detail.unwrap_or_default(),
    };
    view! {
        <tr data-action=entry.action.clone()>
            <td>{when(entry.at)}</td>
            <td>{entry.what.clone()}</td>
            <td>{about}</td>
            <td>{entry.actor.clone()}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_words() {
        for code in ["invalid_name", "too_many", "not_found"] {
            assert_ne!(
                error_message(code),
                error_message("something else"),
                "{code}"
            );
        }
    }
}
