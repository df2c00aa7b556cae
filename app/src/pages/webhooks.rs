use crate::api::get_webhooks_overview;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::forms::{AddWebhookEndpoint, RemoveWebhookEndpoint, TestWebhookEndpoint};
use crate::pages::{when, LoadError};
use domain::{DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhooksOverview};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/dashboard/webhooks`: where Plugboard sends signed events, and how each delivery went.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let query = crate::page_query();
    let get = |key: &str| crate::query_value(&query, key);
    let actions = EndpointActions {
        add: ServerAction::new(),
        remove: ServerAction::new(),
        test: ServerAction::new(),
    };
    let row_error = move || {
        actions
            .remove
            .value()
            .get()
            .or_else(|| actions.test.value().get())
            .and_then(Result::err)
    };
    let note = if get("tested").is_some() {
        Some("A test event is on its way.")
    } else if get("removed").is_some() {
        Some("The endpoint was removed; nothing more will be sent to it.")
    } else {
        None
    };
    let overview = Resource::new(|| (), |_| get_webhooks_overview());
    view! {
        <Title text="Webhooks · Plugboard"/>
        <DashboardLayout section=Section::Webhooks>
            <div class="page-heading">
                <h1>"Webhooks"</h1>
                <p>
                    "Plugboard sends a signed POST to each endpoint when an account is connected, "
                    "reconnected or disconnected, and when one needs a person to reconnect it."
                </p>
            </div>
            {note.map(|text| view! { <p class="notice" role="status">{text}</p> })}
            {move || row_error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
            <Suspense>
                <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, AppError>(view! { <WebhooksDetails overview actions/> })
                    })}
                </ErrorBoundary>
            </Suspense>
            <SignatureHelp/>
        </DashboardLayout>
    }
}

/// The forms of the webhooks page.
#[derive(Clone, Copy)]
struct EndpointActions {
    add: ServerAction<AddWebhookEndpoint>,
    remove: ServerAction<RemoveWebhookEndpoint>,
    test: ServerAction<TestWebhookEndpoint>,
}

#[component]
fn WebhooksDetails(overview: WebhooksOverview, actions: EndpointActions) -> impl IntoView {
    let new_secret = overview.new_secret.clone();
    let typed_url = overview.typed_url.clone().unwrap_or_default();
    let error = move || actions.add.value().get().and_then(Result::err);
    let invalid = move || error().is_some().then_some("true");
    let described_by = move || error().is_some().then_some("endpoint-error");
    view! {
        {new_secret.map(|secret| view! {
            <div class="notice secret-once" role="status" data-endpoint=secret.endpoint_id>
                <p><strong>"Copy this signing secret now: it is not shown again."</strong></p>
                <p><code class="secret">{secret.secret}</code></p>
            </div>
        })}
        <section class="panel" aria-labelledby="endpoints-heading">
            <header class="panel-header"><h2 id="endpoints-heading">"Endpoints"</h2></header>
            {if overview.endpoints.is_empty() {
                view! { <p class="hint">"No endpoints yet. Add the URL that should receive Plugboard's events."</p> }.into_any()
            } else {
                view! {
                    <ul class="endpoints">
                        {overview.endpoints.into_iter().map(|endpoint| view! { <EndpointRow endpoint actions/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ActionForm action=actions.add attr:class="auth-form endpoint-form">
                <label>
                    "Endpoint URL"
                    <input
                        type="url"
                        name="url"
                        required
                        maxlength=domain::MAX_TYPED_URL_CHARS
                        placeholder="https://example.com/plugboard-events"
                        value=typed_url
                        aria-invalid=invalid
                        aria-describedby=described_by
                    />
                </label>
                {move || error().map(|error| view! { <p class="form-error" id="endpoint-error" role="alert">{error.to_string()}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Add endpoint"</button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" aria-labelledby="deliveries-heading">
            <header class="panel-header"><h2 id="deliveries-heading">"Recent deliveries"</h2></header>
            {if overview.deliveries.is_empty() {
                view! { <p class="hint">"Nothing sent yet."</p> }.into_any()
            } else {
                view! { <DeliveryTable deliveries=overview.deliveries/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn EndpointRow(endpoint: WebhookEndpoint, actions: EndpointActions) -> impl IntoView {
    let (test_id, remove_id) = (endpoint.id.clone(), endpoint.id.clone());
    view! {
        <li class="endpoint" data-endpoint-id=endpoint.id.clone()>
            <div>
                <p class="endpoint-url"><code>{endpoint.url.clone()}</code></p>
                <p class="hint">{format!("Added {}", when(endpoint.created_at))}</p>
            </div>
            <div class="account-actions">
                <ActionForm action=actions.test>
                    <input type="hidden" name="id" value=test_id/>
                    <button type="submit" class="button">"Send test event"</button>
                </ActionForm>
                <ActionForm action=actions.remove>
                    <input type="hidden" name="id" value=remove_id/>
                    <button type="submit" class="button button-quiet button-danger" aria-label=format!("Remove {}", endpoint.url)>
                        "Remove"
                    </button>
                </ActionForm>
            </div>
        </li>
    }
}

fn outcome(delivery: &WebhookDelivery) -> String {
    match (
        delivery.status,
        delivery.last_status_code,
        &delivery.last_error,
    ) {
        (DeliveryStatus::Delivered, Some(code), _) => format!("HTTP {code}"),
        (DeliveryStatus::Pending, _, Some(error)) => {
            format!("{error}; retrying {}", when(delivery.next_attempt_at))
        }
        (DeliveryStatus::Pending, _, None) => "Sending".to_owned(),
        (_, _, Some(error)) => error.clone(),
        (DeliveryStatus::Delivered | DeliveryStatus::Failed, _, None) => String::new(),
    }
}

#[component]
fn DeliveryTable(deliveries: Vec<WebhookDelivery>) -> impl IntoView {
    view! {
        <table class="usage-table deliveries">
            <thead>
                <tr>
                    <th scope="col">"Event"</th>
                    <th scope="col">"Endpoint"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Attempts"</th>
                    <th scope="col">"Result"</th>
                    <th scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody>
                {deliveries
                    .into_iter()
                    .map(|delivery| {
                        let result = outcome(&delivery);
                        let pill = match delivery.status {
                            DeliveryStatus::Delivered => "pill pill-ok",
                            DeliveryStatus::Pending => "pill pill-expiring_soon",
                            DeliveryStatus::Failed => "pill pill-expired",
                        };
                        view! {
                            <tr data-status=delivery.status.as_str()>
                                <td><code>{delivery.event_kind.clone()}</code></td>
                                <td class="endpoint-url">{delivery.endpoint_url.clone()}</td>
                                <td><span class=pill>{delivery.status.as_str()}</span></td>
                                <td>{delivery.attempts}</td>
                                <td>{result}</td>
                                <td>{when(delivery.created_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// How a receiver checks that an event really comes from this Plugboard.
#[component]
fn SignatureHelp() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="verify-heading">
            <header class="panel-header"><h2 id="verify-heading">"Verifying a delivery"</h2></header>
            <p>
                "Each delivery carries " <code>"Plugboard-Webhook-Id"</code> " (the event's id: the same on every retry), "
                <code>"Plugboard-Webhook-Timestamp"</code> " (Unix seconds) and " <code>"Plugboard-Webhook-Signature"</code>
                ": " <code>"v1="</code> " and the hex HMAC-SHA256, keyed with your signing secret, of the timestamp, a dot, and the raw body. "
                "Recompute it, compare in constant time, and refuse timestamps more than five minutes old."
            </p>
            <pre class="code"><code>{PYTHON_EXAMPLE}</code></pre>
        </section>
    }
}

const PYTHON_EXAMPLE: &str = r#"import hmac, hashlib, time

def verify(secret: str, headers: dict, body: bytes) -> bool:
    timestamp = headers["Plugboard-Webhook-Timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["Plugboard-Webhook-Signature"])"#;
