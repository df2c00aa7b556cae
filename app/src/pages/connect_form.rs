use crate::api::get_credentials_form;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::notices::credential_error_message;
use crate::pages::LoadError;
use domain::{CredentialsForm, Platform};
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

struct Field {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    hint: &'static str,
    required: bool,
    secret: bool,
}

fn fields(platform: Platform) -> Vec<Field> {
    match platform {
        Platform::Bluesky => vec![
            Field { name: "identifier", label: "Handle or email", kind: "text", autocomplete: "username", hint: "Like you.bsky.social.", required: true, secret: false },
            Field { name: "app_password", label: "App password", kind: "password", autocomplete: "off", hint: "Create one in Bluesky: Settings → Privacy and security → App passwords. It looks like xxxx-xxxx-xxxx-xxxx.", required: true, secret: true },
            Field { name: "pds_url", label: "Server (PDS)", kind: "url", autocomplete: "url", hint: "Leave as it is unless you host your own Bluesky server.", required: false, secret: false },
        ],
        Platform::Telegram => vec![
            Field { name: "bot_token", label: "Bot token", kind: "password", autocomplete: "off", hint: "From @BotFather in Telegram: /newbot, or /token for an existing bot. Add the bot to your channel as an admin.", required: true, secret: true },
        ],
        Platform::Listmonk => vec![
            Field { name: "base_url", label: "Listmonk address", kind: "url", autocomplete: "url", hint: "Where your Listmonk runs, like https://lists.example.com.", required: true, secret: false },
            Field { name: "api_user", label: "API user", kind: "text", autocomplete: "off", hint: "Listmonk: Admin → Users → New API user.", required: true, secret: false },
            Field { name: "token", label: "API token", kind: "password", autocomplete: "off", hint: "Shown once when you create the API user.", required: true, secret: true },
        ],
        _ => vec![
            Field { name: "instance", label: "Your instance", kind: "text", autocomplete: "url", hint: "The server your account is on, like mastodon.social or fosstodon.org.", required: true, secret: false },
        ],
    }
}

#[component]
fn CredentialsPanel(form: CredentialsForm, returned: Returned) -> impl IntoView {
    let platform = form.platform;
    let name = platform.display_name();
    let is_mastodon = platform == Platform::Mastodon;
    let action = if is_mastodon {
        "/api/v1/auth/mastodon/connect".to_owned()
    } else {
        format!("/api/v1/auth/{}/credentials", platform.slug())
    };
    let heading = match &form.reconnect {
        Some(target) => format!("Reconnect {} on {name}", target.title),
        None => format!("Connect {name}"),
    };
    let form_error = (!returned.error.is_empty() && returned.field.is_empty())
        .then(|| credential_error_message("", &returned.error, platform));
    // A server field shows what the person typed (kept in their session), else the default:
    // never a value from the link, which could send their credentials elsewhere.
    let server = form
        .typed_server
        .clone()
        .or_else(|| form.default_server.clone())
        .unwrap_or_default();
    let inputs = fields(platform)
        .into_iter()
        .map(|field| {
            let error = (returned.field == field.name && !returned.error.is_empty())
                .then(|| credential_error_message(field.name, &returned.error, platform));
            let value = match field.name {
                _ if field.secret => String::new(),
                "pds_url" | "base_url" | "instance" => server.clone(),
                name => returned.value(name).unwrap_or_default(),
            };
            let hint_id = format!("{}-hint", field.name);
            let error_id = format!("{}-error", field.name);
            let described_by = if error.is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() };
            view! {
                <label>
                    {field.label}
                    <input
                        type=field.kind
                        name=field.name
                        value=value
                        autocomplete=field.autocomplete
                        required=field.required
                        spellcheck="false"
                        aria-describedby=described_by
                        aria-invalid=error.is_some().then_some("true")
                    />
                </label>
                <p class="hint" id=hint_id>{field.hint}</p>
                {error.map(|message| view! { <p class="form-error" id=error_id role="alert">{message}</p> })}
            }
        })
        .collect_view();
    let blocked = form.unavailable_reason.clone();
    view! {
        <div class="page-heading">
            <h1>{heading}</h1>
            <p>
                {if is_mastodon {
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
