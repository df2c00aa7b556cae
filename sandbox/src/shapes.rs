//! What each platform answers, in its own shapes (from shared/research/platforms.md): token
//! responses, error bodies and status codes, profiles, and the cancel redirect.

use axum::http::StatusCode;
use domain::Platform;
use serde_json::{json, Value};

/// A sandbox person. `ada` approves by default; `grace` is "another account" for reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    pub key: &'static str,
    pub handle: &'static str,
    pub name: &'static str,
}

pub const PEOPLE: [Person; 2] = [
    Person {
        key: "ada",
        handle: "ada_sandbox",
        name: "Ada Sandbox",
    },
    Person {
        key: "grace",
        handle: "grace_sandbox",
        name: "Grace Sandbox",
    },
];

pub fn person(key: &str) -> Person {
    PEOPLE
        .iter()
        .copied()
        .find(|p| p.key == key)
        .unwrap_or(PEOPLE[0])
}

/// The account id a platform reports for a sandbox person.
pub fn account_id(platform: Platform, person: Person) -> String {
    match platform {
        Platform::Slack => format!("U{}", person.key.to_uppercase()),
        _ => format!("{}-{}", platform.slug(), person.key),
    }
}

pub const SLACK_TEAM: (&str, &str) = ("T0SANDBOX", "Sandbox Team");

/// A successful code exchange or, when `refreshing`, refresh.
#[allow(clippy::too_many_arguments)]
pub fn token_success(
    platform: Platform,
    refreshing: bool,
    access: &str,
    refresh: Option<&str>,
    expires_in: Option<i64>,
    refresh_expires_in: Option<i64>,
    person: Person,
    scope: &str,
) -> Value {
    match platform {
        // Slack answers a user token's refresh flat (its SDKs' `OAuthV2TokenRefreshResponse`),
        // where the code exchange nests it in `authed_user`.
        Platform::Slack if refreshing => json!({
            "ok": true,
            "app_id": "A0SANDBOX",
            "scope": scope,
            "token_type": "user",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": expires_in,
            "team": {"id": SLACK_TEAM.0, "name": SLACK_TEAM.1},
            "enterprise": null,
            "is_enterprise_install": false,
        }),
        Platform::Slack => {
            let mut user = json!({
                "id": account_id(platform, person),
                "scope": scope,
                "access_token": access,
                "token_type": "user",
            });
            if let (Some(refresh), Some(expires_in)) = (refresh, expires_in) {
                user["refresh_token"] = json!(refresh);
                user["expires_in"] = json!(expires_in);
            }
            json!({
                "ok": true,
                "app_id": "A0SANDBOX",
                "authed_user": user,
                "team": {"id": SLACK_TEAM.0, "name": SLACK_TEAM.1},
                "enterprise": null,
                "is_enterprise_install": false,
            })
        }
        Platform::TikTok => json!({
            "access_token": access,
            "expires_in": expires_in,
            "open_id": account_id(platform, person),
            "refresh_expires_in": refresh_expires_in,
            "refresh_token": refresh,
            "scope": scope,
            "token_type": "Bearer",
        }),
        Platform::Threads | Platform::Instagram if refresh.is_none() && expires_in.is_none() => {
            json!({
                // The short-lived token from the code, before the long-lived exchange.
                "access_token": access,
                "user_id": account_id(platform, person),
            })
        }
        _ => {
            let mut body = json!({
                "access_token": access,
                "token_type": if matches!(platform, Platform::X | Platform::Facebook | Platform::Threads | Platform::Instagram | Platform::Reddit | Platform::Pinterest) { "bearer" } else { "Bearer" },
            });
            if let Some(expires_in) = expires_in {
                body["expires_in"] = json!(expires_in);
            }
            if let Some(refresh) = refresh {
                body["refresh_token"] = json!(refresh);
            }
            if let Some(refresh_expires_in) = refresh_expires_in {
                body["refresh_token_expires_in"] = json!(refresh_expires_in);
            }
            if !matches!(
                platform,
                Platform::Facebook | Platform::Threads | Platform::Instagram
            ) {
                body["scope"] = json!(scope);
            }
            body
        }
    }
}

/// The token endpoint refusing a code or refresh token.
pub fn invalid_grant(platform: Platform, refreshing: bool) -> (StatusCode, Value) {
    match platform {
        Platform::Slack if refreshing => (
            StatusCode::OK,
            json!({"ok": false, "error": "invalid_refresh_token"}),
        ),
        Platform::Bluesky => (
            StatusCode::BAD_REQUEST,
            json!({"error": "ExpiredToken", "message": "Token has been revoked"}),
        ),
        Platform::Threads | Platform::Instagram | Platform::Facebook => (
            StatusCode::BAD_REQUEST,
            json!({"error": {"message": "This authorization code has been used.", "type": "OAuthException", "code": 100, "error_subcode": 36009, "fbtrace_id": "sandbox"}}),
        ),
        Platform::Slack => (
            StatusCode::OK,
            json!({"ok": false, "error": "invalid_code"}),
        ),
        // Reddit and TikTok say so with HTTP 200.
        Platform::Reddit => (StatusCode::OK, json!({"error": "invalid_grant"})),
        Platform::TikTok => (
            StatusCode::OK,
            json!({"error": "invalid_grant", "error_description": "Authorization code is expired.", "log_id": "sandbox"}),
        ),
        Platform::YouTube => (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": "The provided authorization grant is invalid, expired or revoked."}),
        ),
    }
}

/// The token endpoint refusing the client's credentials.
pub fn invalid_client(platform: Platform) -> (StatusCode, Value) {
    match platform {
        Platform::Slack => (
            StatusCode::OK,
            json!({"ok": false, "error": "invalid_client_id"}),
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "Client authentication failed."}),
        ),
    }
}

/// An API call with a revoked, expired or unknown token.
pub fn unauthorized(platform: Platform) -> (StatusCode, Value) {
    match platform {
        Platform::X => (
            StatusCode::UNAUTHORIZED,
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        ),
        Platform::LinkedIn => (
            StatusCode::UNAUTHORIZED,
            json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"}),
        ),
        Platform::YouTube => (
            StatusCode::UNAUTHORIZED,
            json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
        ),
        Platform::TikTok => (
            StatusCode::UNAUTHORIZED,
            json!({"data": {}, "error": {"code": "access_token_invalid", "message": "The access token is invalid or not found in the request.", "log_id": "sandbox"}}),
        ),
        Platform::Threads | Platform::Instagram | Platform::Facebook => (
            StatusCode::BAD_REQUEST,
            json!({"error": {"message": "Error validating access token: The session has been invalidated because the user changed their password.", "type": "OAuthException", "code": 190, "error_subcode": 460, "fbtrace_id": "sandbox"}}),
        ),
        Platform::Pinterest => (
            StatusCode::UNAUTHORIZED,
            json!({"code": 2, "message": "Authentication failed."}),
        ),
        Platform::Reddit => (
            StatusCode::UNAUTHORIZED,
            json!({"message": "Unauthorized", "error": 401}),
        ),
        Platform::Slack => (
            StatusCode::OK,
            json!({"ok": false, "error": "invalid_auth"}),
        ),
        Platform::Mastodon => (
            StatusCode::UNAUTHORIZED,
            json!({"error": "The access token is invalid"}),
        ),
        Platform::Bluesky => (
            StatusCode::BAD_REQUEST,
            json!({"error": "ExpiredToken", "message": "Token has been revoked"}),
        ),
        Platform::Telegram => (
            StatusCode::UNAUTHORIZED,
            json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        ),
        Platform::Listmonk => (
            StatusCode::FORBIDDEN,
            json!({"message": "invalid API credentials"}),
        ),
    }
}

/// Who the token belongs to, in the platform's shape.
pub fn profile(platform: Platform, person: Person, avatar: &str) -> Value {
    let id = account_id(platform, person);
    match platform {
        Platform::X => json!({"data": {
            "id": id, "name": person.name, "username": person.handle, "profile_image_url": avatar,
            "verified": false,
            "subscription_type": if person.key == "ada" { "Premium" } else { "None" },
        }}),
        Platform::LinkedIn => json!({
            "sub": id, "name": person.name, "given_name": person.name.split(' ').next(),
            "email": format!("{}@example.com", person.key), "email_verified": true, "picture": avatar,
        }),
        Platform::YouTube => json!({"kind": "youtube#channelListResponse", "items": [{
            "kind": "youtube#channel", "id": id,
            "snippet": {"title": format!("{}'s channel", person.name), "customUrl": format!("@{}", person.handle),
                        "thumbnails": {"default": {"url": avatar, "width": 88, "height": 88}}},
        }]}),
        Platform::TikTok => json!({
            "data": {"user": {"open_id": id, "union_id": format!("u-{id}"), "avatar_url": avatar,
                              "display_name": person.name, "username": person.handle}},
            "error": {"code": "ok", "message": "", "log_id": "sandbox"},
        }),
        Platform::Threads => {
            json!({"id": id, "username": person.handle, "name": person.name, "threads_profile_picture_url": avatar})
        }
        Platform::Instagram => {
            json!({"user_id": id, "username": person.handle, "name": person.name, "profile_picture_url": avatar})
        }
        Platform::Facebook => json!({
            "data": facebook_pages(person).iter().map(|(page_id, name, username)| json!({
                "id": page_id, "name": name, "username": username, "category": "Local business",
                "access_token": "(replaced by the sandbox)",
                "picture": {"data": {"url": avatar, "height": 200, "width": 200, "is_silhouette": false}},
            })).collect::<Vec<_>>(),
            "paging": {"cursors": {"before": "b", "after": "a"}},
        }),
        Platform::Pinterest => {
            json!({"account_type": "BUSINESS", "id": id, "username": person.handle, "business_name": person.name, "profile_image": avatar, "website_url": null})
        }
        Platform::Reddit => {
            json!({"id": id, "name": person.handle, "icon_img": avatar, "subreddit": {"title": person.name}})
        }
        Platform::Slack => {
            json!({"ok": true, "url": "https://sandbox.slack.com/", "team": SLACK_TEAM.1, "user": person.handle, "team_id": SLACK_TEAM.0, "user_id": id})
        }
        Platform::Mastodon => {
            json!({"id": id, "username": person.handle, "acct": person.handle, "display_name": person.name, "avatar": avatar})
        }
        Platform::Bluesky => {
            json!({"did": bluesky_did(person), "handle": format!("{}.bsky.social", person.handle.replace('_', "-")), "displayName": person.name, "avatar": avatar})
        }
        Platform::Telegram => {
            json!({"ok": true, "result": {"id": telegram_bot_id(person), "is_bot": true, "first_name": format!("{} Bot", person.name), "username": format!("{}_bot", person.handle)}})
        }
        Platform::Listmonk => {
            json!({"data": {"results": [], "query": "", "total": 0, "per_page": 1, "page": 1}})
        }
    }
}

/// The Pages a sandbox person manages: Ada has two (so she picks), Grace one.
pub fn facebook_pages(person: Person) -> Vec<(String, String, String)> {
    let mut pages = vec![(
        format!("facebook-{}-page-1", person.key),
        format!("{}'s Bakery", person.name.split(' ').next().unwrap_or("A")),
        format!("{}.bakery", person.key),
    )];
    if person.key == "ada" {
        pages.push((
            format!("facebook-{}-page-2", person.key),
            "Ada's Workshop".to_owned(),
            "ada.workshop".to_owned(),
        ));
    }
    pages
}

pub fn bluesky_did(person: Person) -> String {
    format!("did:plc:sandbox{}", person.key)
}

pub fn telegram_bot_id(person: Person) -> i64 {
    if person.key == "ada" {
        7_000_000_001
    } else {
        7_000_000_002
    }
}

/// The redirect parameters of a person pressing Cancel, in each platform's words.
pub fn denial(platform: Platform) -> Vec<(&'static str, &'static str)> {
    match platform {
        Platform::Facebook => vec![
            ("error", "access_denied"),
            ("error_code", "200"),
            ("error_description", "Permissions error"),
            ("error_reason", "user_denied"),
        ],
        Platform::Instagram | Platform::Threads => vec![
            ("error", "access_denied"),
            ("error_reason", "user_denied"),
            ("error_description", "The user denied your request."),
        ],
        Platform::LinkedIn => vec![
            ("error", "user_cancelled_authorize"),
            ("error_description", "The user cancelled the authorization"),
        ],
        _ => vec![("error", "access_denied")],
    }
}

/// An outage, as a load balancer in front of the platform would show it.
pub fn outage() -> (StatusCode, &'static str) {
    (
        StatusCode::BAD_GATEWAY,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    )
}

/// How long the sandbox's platforms ask to be left alone when rate limiting.
pub const RATE_LIMIT_WAIT: i64 = 600;

/// A 429 in the platform's shape, with the platform's own signal of when to come back: X's
/// `x-rate-limit-reset` (a Unix time), Reddit's `x-ratelimit-reset` (seconds) with `Retry-After`,
/// Mastodon's `x-ratelimit-reset` (a timestamp), Telegram's `parameters.retry_after`, and
/// `Retry-After` for Slack and Bluesky. TikTok and Pinterest send none.
pub fn rate_limited(platform: Platform) -> (StatusCode, Vec<(&'static str, String)>, Value) {
    let wait = RATE_LIMIT_WAIT;
    let at = chrono::Utc::now() + chrono::Duration::seconds(wait);
    let (headers, body) = match platform {
        Platform::X => (
            vec![("x-rate-limit-reset", at.timestamp().to_string())],
            json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
        ),
        Platform::Reddit => (
            vec![
                ("x-ratelimit-reset", wait.to_string()),
                ("retry-after", wait.to_string()),
            ],
            json!({"message": "Too Many Requests", "error": 429}),
        ),
        Platform::Mastodon => (
            vec![("x-ratelimit-reset", at.to_rfc3339())],
            json!({"error": "Too many requests"}),
        ),
        Platform::Telegram => (
            vec![],
            json!({"ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {wait}"), "parameters": {"retry_after": wait}}),
        ),
        Platform::Slack => (
            vec![("retry-after", wait.to_string())],
            json!({"ok": false, "error": "ratelimited"}),
        ),
        Platform::Bluesky => (
            vec![("retry-after", wait.to_string())],
            json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
        ),
        Platform::TikTok => (
            vec![],
            json!({"data": {}, "error": {"code": "rate_limit_exceeded", "message": "Too many requests", "log_id": "sandbox"}}),
        ),
        _ => (
            vec![],
            json!({"error": "rate_limit_exceeded", "error_description": "Too Many Requests"}),
        ),
    };
    (StatusCode::TOO_MANY_REQUESTS, headers, body)
}

/// Whether revoking a token of this kind ends the whole grant, as each platform documents:
/// Google revokes the grant whichever token it is given, Reddit when given the refresh token,
/// TikTok's revocation disconnects the app; X, LinkedIn, Slack and Mastodon revoke the token named.
pub fn revocation_ends_grant(platform: Platform, refresh_token: bool) -> bool {
    match platform {
        Platform::YouTube | Platform::TikTok => true,
        Platform::Reddit => refresh_token,
        _ => false,
    }
}

/// TikTok's creator_info answer.
pub fn tiktok_creator_info(person: Person, avatar: &str) -> Value {
    json!({
        "data": {
            "creator_avatar_url": avatar,
            "creator_username": format!("{}.creates", person.key),
            "creator_nickname": format!("{} Creates", person.name.split(' ').next().unwrap_or("")),
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": false,
            "duet_disabled": false,
            "stitch_disabled": true,
            "max_video_post_duration_sec": 600,
        },
        "error": {"code": "ok", "message": "", "log_id": "sandbox"},
    })
}
