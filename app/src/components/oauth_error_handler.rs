use crate::notices::{Notice, NoticeKind, NOTICE_QUERY_KEYS};
use leptos::prelude::*;
use std::time::Duration;

const SUCCESS_VISIBLE_FOR: Duration = Duration::from_secs(8);

/// The toast for the outcome of a connect or a disconnect. The server renders it from the query
/// parameters or a disconnect's one-time note (so it shows without JavaScript); in the browser
/// this island then removes those parameters from the address bar, so a reload or a bookmark does
/// not show it again. A success toast fades unless it has a follow-up link to act on.
#[island]
pub fn OAuthErrorHandler(notice: Option<Notice>) -> impl IntoView {
    let visible = RwSignal::new(notice.is_some());
    let fades = notice
        .as_ref()
        .is_some_and(|n| n.kind == NoticeKind::Success && n.action.is_none());
    Effect::new(move |_| {
        remove_callback_parameters();
        if fades {
            set_timeout(move || visible.set(false), SUCCESS_VISIBLE_FOR);
        }
    });
    notice.map(|notice| {
        let (role, class) = match notice.kind {
            NoticeKind::Success => ("status", "toast toast-success"),
            NoticeKind::Error => ("alert", "toast toast-error"),
        };
        view! {
            <Show when=move || visible.get()>
                <div class=class role=role data-testid="toast">
                    <div class="toast-body">
                        <p class="toast-message">{notice.message.clone()}</p>
                        {notice
                            .details
                            .clone()
                            .map(|details| view! { <p class="toast-details">"Details: " {details}</p> })}
                        {notice
                            .action
                            .clone()
                            .map(|(label, href)| view! { <a class="toast-action" href=href>{label}</a> })}
                    </div>
                    // Without JavaScript the link reloads the page without the parameters.
                    <a
                        class="toast-close"
                        href="/dashboard/connections"
                        aria-label="Dismiss"
                        on:click=move |event| {
                            event.prevent_default();
                            visible.set(false);
                        }
                    >
                        "×"
                    </a>
                </div>
            </Show>
        }
    })
}

fn remove_callback_parameters() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(href) = window.location().href() else {
        return;
    };
    let Ok(url) = web_sys::Url::new(&href) else {
        return;
    };
    let params = url.search_params();
    let mut changed = false;
    for key in NOTICE_QUERY_KEYS {
        if params.has(key) {
            params.delete(key);
            changed = true;
        }
    }
    if changed {
        let clean = format!("{}{}{}", url.pathname(), url.search(), url.hash());
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
        }
    }
}
