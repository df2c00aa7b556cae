//! The sandbox's own pages: the consent screen, its home page with controls, and avatars.

use super::shapes::{Person, PEOPLE};
use super::{BLUESKY_APP_PASSWORD, LISTMONK_API_USER, LISTMONK_TOKEN, TELEGRAM_BOT_TOKEN};
use axum::extract::State;
use axum::response::Html;
use domain::Platform;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole page, styled by Plugboard's stylesheet at `stylesheet` (its name carries a hash).
fn page(stylesheet: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="{stylesheet}"></head>
<body><p class="sandbox-banner" role="note">Sandbox: a stand-in for the real platforms. Nothing here leaves this machine.</p>
<main class="sandbox-main">{body}</main></body></html>"#,
        title = escape(title),
        stylesheet = escape(stylesheet)
    )
}

pub fn consent_page(
    stylesheet: &str,
    platform: Platform,
    request_id: &str,
    scopes: &str,
) -> String {
    let people: String = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"<label class="sandbox-choice"><input type="radio" name="person" value="{key}"{checked}> {name} (@{handle})</label>"#,
                key = p.key,
                checked = if i == 0 { " checked" } else { "" },
                name = escape(p.name),
                handle = escape(p.handle)
            )
        })
        .collect();
    let name = platform.display_name();
    page(
        stylesheet,
        &format!("Sandbox {name}: allow Plugboard?"),
        &format!(
            r#"<section class="panel sandbox-consent">
<h1><span class="platform-mark platform-{slug}" aria-hidden="true"></span> Allow Plugboard to use your {name} account?</h1>
<p>Plugboard asks for: <code>{scopes}</code></p>
<form method="post" action="/sandbox/_consent">
<input type="hidden" name="request" value="{request}">
<fieldset><legend>Sign in as</legend>{people}</fieldset>
<label>Then, for testing:
<select name="simulate">
<option value="">everything works</option>
<option value="invalid_grant">the token endpoint rejects the code (invalid_grant)</option>
<option value="outage">the token endpoint is down (502)</option>
<option value="slow">the token endpoint does not answer (timeout)</option>
<option value="unauthorized">the new token is refused when reading the profile (401)</option>
</select></label>
<div class="sandbox-actions">
<button class="button button-primary" type="submit" name="decision" value="approve">Approve</button>
<button class="button" type="submit" name="decision" value="deny">Deny</button>
</div></form></section>"#,
            slug = platform.slug(),
            scopes = escape(scopes),
            request = escape(request_id),
        ),
    )
}

pub fn error_page(stylesheet: &str, platform: Platform, problem: &str) -> String {
    page(
        stylesheet,
        "Sandbox error",
        &format!(
            r#"<section class="panel"><h1>{name} sandbox: this request cannot be served</h1><p>{problem}</p></section>"#,
            name = platform.display_name(),
            problem = escape(problem)
        ),
    )
}

pub async fn home(State(sandbox): State<super::Sandbox>) -> Html<String> {
    let platforms: String = Platform::ALL
        .iter()
        .map(|p| {
            format!(
                r#"<option value="{}">{}</option>"#,
                p.slug(),
                p.display_name()
            )
        })
        .collect();
    let people: String = PEOPLE
        .iter()
        .map(|p| format!(r#"<option value="{}">{}</option>"#, p.key, escape(p.name)))
        .collect();
    Html(page(
        &sandbox.stylesheet,
        "Plugboard sandbox",
        &format!(
            r#"<section class="panel"><h1>Plugboard sandbox</h1>
<p>Every platform without credentials is answered here. OAuth platforms show a consent screen
where you approve as Ada or Grace (another account, to try reconnecting the wrong one) or deny.</p>
<ul>
<li>Bluesky: any handle with the app password <code>{bluesky}</code> (a handle with "grace" signs in as Grace).</li>
<li>Telegram: the bot token <code>{telegram}</code> (any <code>&lt;digits&gt;:sandbox…</code> token works).</li>
<li>Listmonk: this sandbox's address <code>/sandbox/listmonk</code>, API user <code>{listmonk_user}</code>, token <code>{listmonk_token}</code>.</li>
<li>Mastodon: the default instance is this sandbox.</li>
</ul><p><a href="/dashboard/connections">Back to your connections</a></p></section>
<section class="panel"><h2>Revoke access</h2>
<p>As if the person removed Plugboard in the platform's settings: every token they hold stops working.</p>
<form method="post" action="/sandbox/_control"><input type="hidden" name="action" value="revoke">
<select name="platform" aria-label="Platform">{platforms}</select> <select name="person" aria-label="Person">{people}</select>
<button class="button" type="submit">Revoke</button></form></section>
<section class="panel"><h2>Make calls fail</h2>
<form method="post" action="/sandbox/_control"><input type="hidden" name="action" value="fail">
<select name="platform" aria-label="Platform">{platforms}</select>
<select name="endpoint" aria-label="Call"><option value="token">code exchange</option><option value="refresh">refresh</option><option value="profile">profile / health check</option><option value="credentials">credentials check</option><option value="revoke">revocation</option></select>
<select name="failure" aria-label="Failure"><option value="">work normally</option><option value="outage">502 outage</option><option value="invalid_grant">invalid_grant</option><option value="unauthorized">401 revoked</option><option value="rate_limited">429 rate limited</option><option value="slow">no answer (timeout)</option></select>
<button class="button" type="submit">Apply</button></form></section>
<section class="panel"><h2>Slow platforms</h2>
<p>Every platform answers only after this many seconds (0 to answer at once).</p>
<form method="post" action="/sandbox/_control"><input type="hidden" name="action" value="latency"><input type="hidden" name="platform" value="x">
<input name="seconds" inputmode="decimal" value="2" aria-label="Seconds">
<button class="button" type="submit">Apply</button></form></section>
<section class="panel"><h2>Short-lived tokens</h2>
<p>New access tokens for a platform expire after this many seconds (to watch refreshes happen).</p>
<form method="post" action="/sandbox/_control"><input type="hidden" name="action" value="ttl">
<select name="platform" aria-label="Platform">{platforms}</select> <input name="seconds" inputmode="numeric" value="120" aria-label="Seconds">
<button class="button" type="submit">Apply</button></form></section>"#,
            bluesky = BLUESKY_APP_PASSWORD,
            telegram = TELEGRAM_BOT_TOKEN,
            listmonk_user = LISTMONK_API_USER,
            listmonk_token = LISTMONK_TOKEN,
        ),
    ))
}

pub fn avatar_svg(person: Person) -> String {
    let (initial, colour) = if person.key == "ada" {
        ("A", "#5c7cfa")
    } else {
        ("G", "#e8590c")
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="32" fill="{colour}"/><text x="32" y="42" font-family="sans-serif" font-size="30" font-weight="700" text-anchor="middle" fill="#fff">{initial}</text></svg>"##
    )
}
