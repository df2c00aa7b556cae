use domain::TokenStatus;
use leptos::prelude::*;
use std::time::Duration;

/// How often the open page asks for fresh statuses when the stream of changes is down: often
/// while the health check its load started runs, then now and then.
const WHILE_CHECKING: Duration = Duration::from_secs(2);
const AFTERWARDS: Duration = Duration::from_secs(30);

/// Where the open page reads statuses. A plain JSON GET, read with the browser's own `fetch`
/// and JSON parser, which keeps the wasm bundle small (see the README's benchmarks).
pub const LIVE_STATUSES_PATH: &str = "/api/v1/live-statuses";

/// Where the open page hears that its workspace's accounts changed (Server-Sent Events).
pub const LIVE_EVENTS_PATH: &str = "/api/v1/live-events";

/// "Expires in 3 days", only for tokens that expire soon.
pub fn expires_in_text(days: u32) -> String {
    match days {
        1 => "Expires in 1 day".to_owned(),
        n => format!("Expires in {n} days"),
    }
}

async fn sleep(duration: Duration) {
    let (done, wait) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = done.send(());
        },
        duration,
    );
    let _ = wait.await;
}

/// Reads `{"checking": bool, "statuses": [{"id", "status", "expires_in_days"}]}`.
async fn fetch_statuses() -> Option<(bool, Vec<(String, TokenStatus)>)> {
    use js_sys::{Array, Reflect};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let get = |object: &wasm_bindgen::JsValue, key: &str| Reflect::get(object, &key.into()).ok();
    let response: web_sys::Response =
        JsFuture::from(web_sys::window()?.fetch_with_str(LIVE_STATUSES_PATH))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    if !response.ok() {
        return None;
    }
    let body = JsFuture::from(response.json().ok()?).await.ok()?;
    let checking = get(&body, "checking")?.as_bool()?;
    let statuses = get(&body, "statuses")?
        .dyn_into::<Array>()
        .ok()?
        .iter()
        .filter_map(|item| {
            let id = get(&item, "id")?.as_string()?;
            let slug = get(&item, "status")?.as_string()?;
            let days = get(&item, "expires_in_days")
                .and_then(|d| d.as_f64())
                .map(|d| d as u32);
            Some((id, TokenStatus::from_parts(&slug, days)?))
        })
        .collect();
    Some((checking, statuses))
}

/// The inside of a pill's `.status` element: what [`StatusPill`] renders, as markup. Only our own
/// labels and a number go in, never text from a platform.
pub fn status_markup(status: TokenStatus) -> String {
    let expiry = match status {
        TokenStatus::ExpiringSoon { expires_in_days } => {
            format!(
                r#"<span class="expiry">{}</span>"#,
                expires_in_text(expires_in_days)
            )
        }
        _ => String::new(),
    };
    format!(
        r#"<span class="pill pill-{slug}" data-status="{slug}">{label}</span>{expiry}"#,
        slug = status.slug(),
        label = status.label()
    )
}

/// Puts fresh statuses into the pills already on the page.
fn show(statuses: &[(String, TokenStatus)]) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    for (id, status) in statuses {
        let selector = format!(r#"[data-account-id="{id}"] .status"#);
        if let Ok(Some(element)) = document.query_selector(&selector) {
            element.set_inner_html(&status_markup(*status));
        }
    }
}

/// The stream of changes (Server-Sent Events): each of its events, its opening and its errors
/// come out of the returned channel as "look again". `None` when the browser cannot open one.
fn listen_for_changes() -> Option<(
    web_sys::EventSource,
    futures::channel::mpsc::UnboundedReceiver<()>,
)> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let source = web_sys::EventSource::new(LIVE_EVENTS_PATH).ok()?;
    let (tell, told) = futures::channel::mpsc::unbounded::<()>();
    let look_again = Closure::<dyn Fn()>::new(move || {
        let _ = tell.unbounded_send(());
    });
    let callback = Some(look_again.as_ref().unchecked_ref());
    source.set_onmessage(callback);
    source.set_onopen(callback);
    source.set_onerror(callback);
    // Lives as long as the page.
    look_again.forget();
    Some((source, told))
}

/// Keeps the list's status pills current without a reload. The server says when the
/// workspace's accounts change, in any process (a refresh, the health check the page's load
/// started, a connect elsewhere); the page then reads the statuses and updates the pills. While
/// that stream is down (the browser reconnects it by itself) it reads them on a timer instead.
/// One small island instead of one per pill: the bundle budget.
#[island]
pub fn LiveStatuses() -> impl IntoView {
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            use futures::StreamExt;
            let (source, mut told) = match listen_for_changes() {
                Some((source, told)) => (Some(source), Some(told)),
                None => (None, None),
            };
            let mut poll = WHILE_CHECKING;
            loop {
                let streaming = source
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == web_sys::EventSource::OPEN);
                match told.as_mut() {
                    Some(told) if streaming => {
                        told.next().await;
                    }
                    Some(told) => {
                        let timer = std::pin::pin!(sleep(poll));
                        futures::future::select(told.next(), timer).await;
                    }
                    None => sleep(poll).await,
                }
                poll = match fetch_statuses().await {
                    Some((checking, statuses)) => {
                        show(&statuses);
                        if checking {
                            WHILE_CHECKING
                        } else {
                            AFTERWARDS
                        }
                    }
                    None => AFTERWARDS,
                };
            }
        });
    });
}

/// The coloured token status, with the days left when it expires soon.
#[component]
pub fn StatusPill(status: TokenStatus) -> impl IntoView {
    view! { <span class="status" inner_html=status_markup(status)></span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pills_say_the_status_and_the_days_only_when_expiring_soon() {
        let soon = status_markup(TokenStatus::ExpiringSoon { expires_in_days: 3 });
        assert!(
            soon.contains("pill-expiring_soon") && soon.contains("Expires in 3 days"),
            "{soon}"
        );
        let gone = status_markup(TokenStatus::NeedsReconnect);
        assert!(
            gone.contains(">Reconnect needed<") && !gone.contains("expiry"),
            "{gone}"
        );
    }

    #[test]
    fn singular_and_plural_days() {
        assert_eq!(expires_in_text(1), "Expires in 1 day");
        assert_eq!(expires_in_text(6), "Expires in 6 days");
    }
}
