use crate::api::get_connect_link;
use crate::error::AppError;
use crate::notices::{credential_error_message, oauth_notice, NoticeKind};
use crate::pages::connect_form::field_words;
use crate::pages::when;
use domain::{ConnectLinkOffer, ConnectMethod, CredentialField, Platform};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/connect/<token>`: the page a connect link opens, for someone with no Plugboard account. It
/// names the workspace and the note, and offers the link's platforms; nothing else of the
/// workspace is on it.
#[component]
pub fn ConnectLinkPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    let query = crate::page_query();
    let returned = Returned {
        platform: crate::query_value(&query, "platform")
            .and_then(|slug| Platform::from_slug(&slug)),
        field: crate::query_value(&query, "field").and_then(|f| CredentialField::parse(&f)),
        error: crate::query_value(&query, "error").unwrap_or_default(),
    };
    let offer = {
        let token = token.clone();
        Resource::new(move || (), move |_| get_connect_link(token.clone()))
    };
    view! {
        <Title text="Connect an account · Plugboard"/>
        <main class="welcome" id="main">
            <section class="panel connect-link" aria-labelledby="link-heading">
                <Suspense>
                    <ErrorBoundary fallback=|_| view! { <LinkGone/> }>
                        {move || {
                            let token = token.clone();
                            let returned = returned.clone();
                            Suspend::new(async move {
                                let offer = offer.await?;
                                Ok::<_, AppError>(view! { <LinkOffer offer token returned/> })
                            })
                        }}
                    </ErrorBoundary>
                </Suspense>
            </section>
        </main>
    }
}

/// What a refused credentials form sent back: which platform, field and problem.
#[derive(Debug, Clone, Default)]
struct Returned {
    platform: Option<Platform>,
    field: Option<CredentialField>,
    error: String,
}

#[component]
fn LinkOffer(offer: ConnectLinkOffer, token: String, returned: Returned) -> impl IntoView {
    let heading = match &offer.reconnects {
        Some(handle) => format!("Renew {handle}'s connection for {}", offer.workspace_name),
        None => format!("Connect your account to {}", offer.workspace_name),
    };
    view! {
        <h1 id="link-heading">{heading}</h1>
        {offer.note.clone().map(|note| view! { <p class="link-note">{note}</p> })}
        <p class="hint">
            {format!("{} uses Plugboard to post for you. You sign in at the platform itself; Plugboard never sees your password there. This link works until {}.", offer.workspace_name, when(offer.expires_at))}
        </p>
        <ul class="link-platforms">
            {offer.platforms.into_iter().map(|platform| {
                let error = (returned.platform == Some(platform) && !returned.error.is_empty())
                    .then(|| credential_error_message(returned.field, &returned.error, platform));
                view! { <li><PlatformForm platform token=token.clone() error/></li> }
            }).collect_view()}
        </ul>
    }
}

/// One platform's way in: a button to its consent screen, its server first (Mastodon), or the
/// credentials it takes (Bluesky, Telegram, Listmonk).
#[component]
fn PlatformForm(platform: Platform, token: String, error: Option<String>) -> impl IntoView {
    let name = platform.display_name();
    let (action, fields): (String, Vec<CredentialField>) = match platform.connect_method() {
        ConnectMethod::OAuth => (
            format!("/connect/{token}/start/{}", platform.slug()),
            vec![],
        ),
        ConnectMethod::OAuthOnTheirServer => (
            format!("/connect/{token}/start/{}", platform.slug()),
            vec![CredentialField::Instance],
        ),
        ConnectMethod::Credentials => (
            format!("/connect/{token}/credentials/{}", platform.slug()),
            platform.credential_fields().to_vec(),
        ),
    };
    view! {
        <form class="auth-form link-platform" method="post" action=action data-platform=platform.slug()>
            {fields.into_iter().map(|field| {
                let words = field_words(field);
                view! {
                    <label>
                        {words.label}
                        <input
                            type=words.kind
                            name=field.as_str()
                            autocomplete=words.autocomplete
                            required=!field.is_optional()
                            spellcheck="false"
                            maxlength=field.is_server().then_some(domain::MAX_TYPED_URL_CHARS)
                        />
                    </label>
                    <p class="hint">{words.hint}</p>
                }
            }).collect_view()}
            {error.map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            <button type="submit" class="button button-primary">{format!("Connect {name}")}</button>
        </form>
    }
}

#[component]
fn LinkGone() -> impl IntoView {
    view! {
        <h1 id="link-heading">"This link cannot be used"</h1>
        <p role="alert">"It has expired, was revoked or has been used. Ask whoever sent it for a new one."</p>
    }
}

/// `/connected`: where a connect through a link ends, with its outcome in the platform's words.
#[component]
pub fn LinkDonePage() -> impl IntoView {
    let query = crate::page_query();
    let notice = oauth_notice(|key| crate::query_value(&query, key));
    let (heading, message) = match notice {
        Some(notice) if notice.kind == NoticeKind::Success => (
            "Connected".to_owned(),
            format!("{} You can close this page.", notice.message),
        ),
        Some(notice) => ("Not connected".to_owned(), notice.message),
        None => (
            "Nothing happened".to_owned(),
            "Open the link you were sent to connect an account.".to_owned(),
        ),
    };
    view! {
        <Title text="Connect an account · Plugboard"/>
        <main class="welcome" id="main">
            <section class="panel connect-link" aria-labelledby="done-heading">
                <h1 id="done-heading">{heading}</h1>
                <p role="status">{message}</p>
            </section>
        </main>
    }
}
