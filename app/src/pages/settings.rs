use crate::api::get_settings_overview;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::forms::{CreateApiKey, RevokeApiKey};
use crate::pages::{when, LoadError};
use domain::{ApiKeyView, AuditEntry, SettingsOverview};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/dashboard/settings`: personal API keys for publishing tools, and everything that happened.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = crate::page_query();
    let note = crate::query_value(&query, "revoked")
        .map(|_| "The key was revoked: tools using it are refused from now on.");
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let revoke_error = move || revoke.value().get().and_then(Result::err);
    let overview = Resource::new(|| (), |_| get_settings_overview());
    view! {
        <Title text="Settings · Plugboard"/>
        <DashboardLayout section=Section::Settings>
            <div class="page-heading">
                <h1>"Settings"</h1>
                <p>"API keys for your publishing tools, and a record of every change in this workspace."</p>
            </div>
            {note.map(|text| view! { <p class="notice" role="status">{text}</p> })}
            {move || revoke_error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
            <Suspense>
                <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, AppError>(view! { <SettingsDetails overview create revoke/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

#[component]
fn SettingsDetails(
    overview: SettingsOverview,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    view! {
        {overview.new_key.map(|key| view! {
            <div class="notice secret-once" role="status">
                <p><strong>"Copy this API key now: it is not shown again."</strong></p>
                <p><code class="secret" data-testid="new-api-key">{key}</code></p>
                <p class="hint">"Send it as " <code>"Authorization: Bearer <key>"</code> " to " <a href="/api/v1/openapi.json">"the integration API"</a> "."</p>
            </div>
        })}
        {crate::components::viewer_may(domain::Permission::UseApiKeys).then(|| view! {
            <ApiKeys keys=overview.api_keys create revoke/>
        })}
        <ActivityLog entries=overview.audit/>
    }
}

#[component]
fn ApiKeys(
    keys: Vec<ApiKeyView>,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let error = move || create.value().get().and_then(Result::err);
    let invalid = move || error().is_some().then_some("true");
    let described_by = move || error().is_some().then_some("key-error");
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
                        {keys.into_iter().map(|key| view! { <ApiKeyRow key revoke/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ActionForm action=create attr:class="auth-form endpoint-form">
                <label>
                    "Key name"
                    <input
                        type="text"
                        name="name"
                        required
                        maxlength="80"
                        placeholder="Publishing tool"
                        aria-invalid=invalid
                        aria-describedby=described_by
                    />
                </label>
                {move || error().map(|error| view! { <p class="form-error" id="key-error" role="alert">{error.to_string()}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Create key"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ApiKeyRow(key: ApiKeyView, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let used = match key.last_used_at {
        Some(at) => format!("last used {}", when(at)),
        None => "never used".to_owned(),
    };
    let id = key.id.clone();
    view! {
        <li class="endpoint" data-key-id=key.id.clone()>
            <div>
                <p class="endpoint-url"><strong>{key.name.clone()}</strong> " " <code>{format!("{}…", key.prefix)}</code></p>
                <p class="hint">{format!("Acts as {}. Created {}, {used}", key.created_by, when(key.created_at))}</p>
            </div>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button button-quiet button-danger" aria-label=format!("Revoke {}", key.name)>
                    "Revoke"
                </button>
            </ActionForm>
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
