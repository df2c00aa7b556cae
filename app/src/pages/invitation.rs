use crate::api::get_invitation;
use crate::error::AppError;
use crate::forms::AcceptInvitation;
use crate::pages::when;
use domain::InvitationPreview;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/invitations/<token>`: what the invitation offers, and the way in: join when signed in with
/// the invited address, else sign in or sign up with it first (and come back here).
#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    let accept = ServerAction::<AcceptInvitation>::new();
    let accept_error = move || accept.value().get().and_then(Result::err);
    let preview = {
        let token = token.clone();
        Resource::new(move || (), move |_| get_invitation(token.clone()))
    };
    view! {
        <Title text="Invitation · Plugboard"/>
        <main class="welcome" id="main">
            <section class="panel invitation" aria-labelledby="invitation-heading">
                <Suspense>
                    <ErrorBoundary fallback=|errors| view! { <InvitationGone errors/> }>
                        {move || {
                            let token = token.clone();
                            Suspend::new(async move {
                                let preview = preview.await?;
                                Ok::<_, AppError>(view! { <InvitationOffer preview token accept/> })
                            })
                        }}
                    </ErrorBoundary>
                </Suspense>
                {move || accept_error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
            </section>
        </main>
    }
}

#[component]
fn InvitationOffer(
    preview: InvitationPreview,
    token: String,
    accept: ServerAction<AcceptInvitation>,
) -> impl IntoView {
    let by = preview
        .invited_by
        .clone()
        .map(|by| format!("{by} invites you"))
        .unwrap_or_else(|| "You are invited".to_owned());
    let here = format!("/invitations/{token}");
    let sign_up = welcome_form("sign_up", &preview.email, &here);
    let sign_in = welcome_form("sign_in", &preview.email, &here);
    let join = format!("Join {}", preview.workspace_name);
    let action = match preview.signed_in_as.as_deref() {
        Some(me) if me == preview.email => view! {
            <ActionForm action=accept>
                <input type="hidden" name="token" value=token.clone()/>
                <button type="submit" class="button button-primary">{join}</button>
            </ActionForm>
        }
        .into_any(),
        Some(me) => view! {
            <p class="form-error" role="alert">
                {format!("You are signed in as {me}, but this invitation is for {}. Sign out, then sign in or sign up with that address.", preview.email)}
            </p>
            <form method="post" action="/auth/sign-out">
                <button type="submit" class="button">"Sign out"</button>
            </form>
        }
        .into_any(),
        None => view! {
            <p>
                <a class="button button-primary" href=sign_up>"Sign up to join"</a>
                " "
                <a class="button" href=sign_in>"I have an account: sign in"</a>
            </p>
        }
        .into_any(),
    };
    view! {
        <h1 id="invitation-heading">{format!("Join {} on Plugboard", preview.workspace_name)}</h1>
        <p>{format!("{by} as {} ({}). ", preview.role.label().to_lowercase(), preview.email)}
            <span class="hint">{format!("The invitation works once, until {}.", when(preview.expires_at))}</span>
        </p>
        {action}
    }
}

#[component]
fn InvitationGone(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let message = move || {
        errors
            .get()
            .into_iter()
            .next()
            .map(|(_, error)| error.to_string())
            .unwrap_or_default()
    };
    view! {
        <h1 id="invitation-heading">"This invitation cannot be used"</h1>
        <p role="alert">{message}</p>
        <p><a class="button" href="/">"Go to Plugboard"</a></p>
    }
}

/// The welcome page with one of its forms filled with `email`, coming back to `next`. Pages render
/// on the server; the browser bundle never builds this link.
fn welcome_form(form: &str, email: &str, next: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("form", form)
            .append_pair("email", email)
            .append_pair("next", next)
            .finish();
        format!("/?{query}")
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (form, email, next);
        "/".to_owned()
    }
}
