use crate::api::get_credentials_form;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::notices::credential_error_message;
use crate::pages::LoadError;
use domain::{ConnectMethod, CredentialField, CredentialsForm};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// What the form came back with after a refused attempt (from the query): the field at fault,
/// the problem's code, and what was typed (never secrets).
#[derive(Debug, Clone, Default)]
struct Returned {
    field: String,
    error: String,
    values: Vec<(String, String)>,
}

impl Returned {
    fn from_query(query: Vec<(String, String)>) -> Returned {
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Returned {
            field: get("field"),
            error: get("error"),
            values: query,
        }
    }

    fn value(&self, key: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }
}

/// `/dashboard/connections/new/<platform>`: connect Bluesky, Telegram or Listmonk with
/// credentials (checked with the platform before anything is stored), or name a Mastodon instance.
#[component]
pub fn ConnectFormPage() -> impl IntoView {
    let params = use_params_map();
    let returned = Returned::from_query(crate::page_query());
    let platform = params.read_untracked().get("platform").unwrap_or_default();
    let account = returned.value("account");
    let form = Resource::new(
        move || (),
        move |_| get_credentials_form(platform.clone(), account.clone()),
    );
    view! {
        <Title text="Connect an account · Plugboard"/>
        <DashboardLayout section=Section::Connections>
            <Suspense>
                <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                    {move || {
                        let returned = returned.clone();
                        Suspend::new(async move {
                            let form = form.await?;
                            Ok::<_, AppError>(view! { <CredentialsPanel form returned/> })
                        })
                    }}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

/// How the page presents one field of a connect form.
pub(crate) struct FieldWords {
    pub label: &'static str,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub hint: &'static str,
}

pub(crate) fn field_words(field: CredentialField) -> FieldWords {
    let words = |label, kind, autocomplete, hint| FieldWords {
        label,
        kind,
        autocomplete,
        hint,
    };
    match field {
        CredentialField::Identifier => words("Handle or email", "text", "username", "Like you.bsky.social."),
        CredentialField::AppPassword => words("App password", "password", "off", "Create one in Bluesky: Settings → Privacy and security → App passwords. It looks like xxxx-xxxx-xxxx-xxxx."),
        CredentialField::PdsUrl => words("Server (PDS)", "url", "url", "Leave as it is unless you host your own Bluesky server."),
        CredentialField::BotToken => words("Bot token", "password", "off", "From @BotFather in Telegram: /newbot, or /token for an existing bot. Add the bot to your channel as an admin."),
        CredentialField::BaseUrl => words("Listmonk address", "url", "url", "Where your Listmonk runs, like https://lists.example.com."),
        CredentialField::ApiUser => words("API user", "text", "off", "Listmonk: Admin → Users → New API user."),
        CredentialField::ApiToken => words("API token", "password", "off", "Shown once when you create the API user."),
        CredentialField::Instance => words("Your instance", "text", "url", "The server your account is on, like mastodon.social or fosstodon.org."),
    }
}

#[component]
fn CredentialsPanel(form: CredentialsForm, returned: Returned) -> impl IntoView {
    let platform = form.platform;
    let name = platform.display_name();
    let on_their_server = platform.connect_method() == ConnectMethod::OAuthOnTheirServer;
    let action = if on_their_server {
        format!("/api/v1/auth/{}/connect", platform.slug())
    } else {
        format!("/api/v1/auth/{}/credentials", platform.slug())
    };
    let heading = match &form.reconnect {
        Some(target) => format!("Reconnect {} on {name}", target.title),
        None => format!("Connect {name}"),
    };
    let form_error = (!returned.error.is_empty() && returned.field.is_empty())
        .then(|| credential_error_message(None, &returned.error, platform));
    // A server field shows what the person typed (kept in their session), else the default:
    // never a value from the link, which could send their credentials elsewhere.
    let server = form
        .typed_server
        .clone()
        .or_else(|| form.default_server.clone())
        .unwrap_or_default();
    let inputs = platform
        .credential_fields()
        .iter()
        .map(|&field| {
            let name = field.as_str();
            let words = field_words(field);
            let error = (returned.field == name && !returned.error.is_empty())
                .then(|| credential_error_message(Some(field), &returned.error, platform));
            let value = if field.is_secret() {
                String::new()
            } else if field.is_server() {
                server.clone()
            } else {
                returned.value(name).unwrap_or_default()
            };
            let hint_id = format!("{name}-hint");
            let error_id = format!("{name}-error");
            let described_by = if error.is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() };
            view! {
                <label>
                    {words.label}
                    <input
                        type=words.kind
                        name=name
                        value=value
                        autocomplete=words.autocomplete
                        required=!field.is_optional()
                        spellcheck="false"
                        maxlength=field.is_server().then_some(domain::MAX_TYPED_URL_CHARS)
                        aria-describedby=described_by
                        aria-invalid=error.is_some().then_some("true")
                    />
                </label>
                <p class="hint" id=hint_id>{words.hint}</p>
                {error.map(|message| view! { <p class="form-error" id=error_id role="alert">{message}</p> })}
            }
        })
        .collect_view();
    let blocked = form.unavailable_reason.clone();
    view! {
        <div class="page-heading">
            <h1>{heading}</h1>
            <p>
                {if on_their_server {
                    "Plugboard registers itself with your instance, then sends you there to approve."
                } else {
                    "Plugboard checks these with the platform before it stores anything, and keeps them encrypted."
                }}
            </p>
        </div>
        <section class="panel connect-form-panel">
            {form.sandbox_hint.clone().map(|hint| view! { <p class="notice sandbox-hint">{hint}</p> })}
            {blocked.clone().map(|reason| view! {
                <p class="notice notice-limit">{reason} " " <a href="/dashboard/billing">"See plans"</a></p>
            })}
            {form_error.map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            <form class="auth-form" method="post" action=action data-platform=platform.slug()>
                {form.reconnect.clone().map(|target| view! { <input type="hidden" name="account" value=target.id/> })}
                {inputs}
                <div class="form-actions">
                    <button type="submit" class="button button-primary" disabled=blocked.is_some()>
                        {if form.reconnect.is_some() { "Reconnect" } else { "Connect" }}
                    </button>
                    <a class="button button-quiet" href="/dashboard/connections">"Cancel"</a>
                </div>
            </form>
        </section>
    }
}
