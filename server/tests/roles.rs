//! Roles, enforced on the server: every server function, connect route, page and API endpoint,
//! called as each role of a workspace, as someone of another workspace, and signed out. The
//! expected outcome of each call is the table below; a server function or API endpoint missing
//! from it fails the test.

mod common;

use axum::http::StatusCode;
use common::{Backend, TestApp};
use domain::{Platform, Role};
use engine::connections::accounts::NewAccount;
use engine::identity::workspaces;
use std::collections::BTreeSet;

/// What one caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Through the role check (whatever the call then says).
    Let,
    /// 403, and nothing changes.
    Refuse,
    /// Someone of another workspace: through their own role check, but nothing of this
    /// workspace is shown or changed.
    Hidden,
    /// Signed out: 401, or sent to sign in.
    SignIn,
}
use Expect::*;

/// Callers in column order: owner, admin, member, viewer, another workspace's owner, signed out.
const CALLERS: [&str; 6] = [
    "owner@example.com",
    "admin@example.com",
    "member@example.com",
    "viewer@example.com",
    "outsider@example.com",
    "",
];

/// What a call is aimed at, made fresh for each caller so one caller's change cannot hide
/// another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Nothing,
    /// An account the owner connected.
    Account,
    ApiKey,
    Webhook,
    /// A viewer added for the call.
    Person,
    /// An open invitation (its id).
    Invitation,
    /// An open invitation (its link's token).
    InvitationLink,
    /// A usable connect link (its id).
    ConnectLink,
    /// A usable connect link (its token).
    ConnectLinkToken,
}

/// Each server function: its arguments (with `{target}` for the target's id), the target, and
/// the outcome per caller.
#[rustfmt::skip]
const SERVER_FUNCTIONS: &[(&str, &str, Target, [Expect; 6])] = &[
    ("connected_accounts", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("flash_notice", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("disconnect_preview", "account={target}", Target::Account, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("account_story", "account={target}", Target::Account, [Let, Let, Let, Let, Hidden, SignIn]),
    ("check_account_now", "account={target}", Target::Account, [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("settings_overview", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("webhooks_overview", "", Target::Nothing, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("plan_summary", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("platform_availability", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("credentials_form", "platform=bluesky", Target::Nothing, [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("account_choices", "selection=none", Target::Nothing, [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("billing_overview", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("people_overview", "", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("create_api_key", "name=Tool", Target::Nothing, [Let, Let, Let, Refuse, Hidden, SignIn]),
    // A member may revoke only their own keys: the owner's is not found for them.
    ("revoke_api_key", "id={target}", Target::ApiKey, [Let, Let, Hidden, Refuse, Hidden, SignIn]),
    ("add_webhook_endpoint", "url=https%3A%2F%2Fhooks.invalid%2Fin", Target::Nothing, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("remove_webhook_endpoint", "id={target}", Target::Webhook, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("test_webhook_endpoint", "id={target}", Target::Webhook, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("disconnect_account", "account={target}", Target::Account, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("switch_workspace", "workspace={workspace}&back=%2Fdashboard%2Fpeople", Target::Nothing, [Let, Let, Let, Let, Hidden, SignIn]),
    ("change_role", "user={target}&role=member", Target::Person, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("remove_person", "user={target}", Target::Person, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("invite_person", "email=new%40example.com&role=viewer", Target::Nothing, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("revoke_invitation", "id={target}", Target::Invitation, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    // Whoever holds the link may read it; only the invited address may accept it.
    ("invitation", "token={target}", Target::InvitationLink, [Let, Let, Let, Let, Let, Let]),
    ("accept_invitation", "token={target}", Target::InvitationLink, [Refuse, Refuse, Refuse, Refuse, Refuse, SignIn]),
    ("create_connect_link", "platforms[]=reddit&note=&uses=1&hours=24", Target::Nothing, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    ("revoke_connect_link", "id={target}", Target::ConnectLink, [Let, Let, Refuse, Refuse, Hidden, SignIn]),
    // A connect link's page is for whoever holds it, signed in or not.
    ("connect_link", "token={target}", Target::ConnectLinkToken, [Let, Let, Let, Let, Let, Let]),
    // Only owners rename (to the same name here) or delete (a mistyped name here: the rest of
    // the table needs the workspace); the outsider's own workspace is not this one.
    ("rename_workspace", "name=Acme", Target::Nothing, [Let, Refuse, Refuse, Refuse, Hidden, SignIn]),
    ("delete_workspace", "name=Not+Acme", Target::Nothing, [Let, Refuse, Refuse, Refuse, Hidden, SignIn]),
    // Last: a new workspace becomes the one its maker acts in.
    ("create_workspace", "name=Side+project", Target::Nothing, [Let, Let, Let, Let, Let, SignIn]),
];

/// Routes outside the server functions (`web/mod.rs`): method, path, form, outcome per caller.
#[rustfmt::skip]
const ROUTES: &[(&str, &str, &str, [Expect; 6])] = &[
    ("POST", "/api/v1/auth/reddit/connect", "", [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("POST", "/api/v1/auth/bluesky/credentials", "identifier=a.bsky.social&app_password=x", [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("POST", "/api/v1/auth/facebook/select", "selection=none", [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("GET", "/api/v1/auth/reddit/callback?state=s&code=c", "", [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("GET", "/api/v1/accounts/{target}/avatar", "", [Let, Let, Let, Let, Hidden, SignIn]),
    ("GET", "/api/v1/live-statuses", "", [Let, Let, Let, Let, Hidden, SignIn]),
    // Through a connect link: no session needed, none used (the link decides where it lands).
    ("POST", "/connect/{link}/start/reddit", "", [Let, Let, Let, Let, Let, Let]),
    ("POST", "/connect/{link}/credentials/bluesky", "identifier=a.bsky.social&app_password=x", [Let, Let, Let, Let, Let, Let]),
];

/// The integration API, by the role of the key's maker (a key acts at most as a member).
#[rustfmt::skip]
const API: &[(&str, &str, [Expect; 6])] = &[
    ("GET", "/api/v1/accounts", [Let, Let, Let, Let, Hidden, SignIn]),
    ("GET", "/api/v1/accounts/{id}", [Let, Let, Let, Let, Hidden, SignIn]),
    ("POST", "/api/v1/accounts/{id}/access-token", [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("GET", "/api/v1/posts", [Let, Let, Let, Let, Hidden, SignIn]),
    ("POST", "/api/v1/posts", [Let, Let, Let, Refuse, Hidden, SignIn]),
    ("GET", "/api/v1/posts/{id}", [Let, Let, Let, Let, Hidden, SignIn]),
    ("POST", "/api/v1/posts/{id}/cancel", [Let, Let, Let, Refuse, Hidden, SignIn]),
];

struct Fixture {
    app: TestApp,
    /// Session cookies, in `CALLERS` order (none for the last).
    cookies: Vec<Option<String>>,
    workspace: String,
    owner: workspaces::Member,
}

async fn fixture(backend: Backend) -> Fixture {
    // Reddit, the target accounts' platform, refuses every connection: nothing leaves the machine.
    let closed = [
        ("REDDIT_API_URL", "http://127.0.0.1:9"),
        ("REDDIT_TOKEN_URL", "http://127.0.0.1:9/token"),
        ("REDDIT_REVOKE_URL", "http://127.0.0.1:9/revoke"),
    ];
    let app = TestApp::with_settings(backend, &closed).await;
    let mut cookies = Vec::new();
    for email in CALLERS.iter().filter(|email| !email.is_empty()) {
        cookies.push(Some(app.sign_up(email).await));
    }
    cookies.push(None);
    let owner = app.member(CALLERS[0]).await;
    let workspace = workspaces::create(&app.state.db, "Acme", &owner.user)
        .await
        .unwrap()
        .id;
    for (email, role) in [
        (CALLERS[1], Role::Admin),
        (CALLERS[2], Role::Member),
        (CALLERS[3], Role::Viewer),
    ] {
        workspaces::add(&app.state.db, &workspace, email, role, "test")
            .await
            .unwrap();
    }
    act_in(&app, &cookies, &workspace).await;
    let owner = workspaces::member(&app.state.db, owner.user, Some(&workspace))
        .await
        .unwrap();
    Fixture {
        app,
        cookies,
        workspace,
        owner,
    }
}

/// Everyone of the workspace acts in it (the outsider stays in their own).
async fn act_in(app: &TestApp, cookies: &[Option<String>], workspace: &str) {
    for cookie in cookies.iter().take(4).flatten() {
        app.switch_workspace(cookie, workspace).await;
    }
}

impl Fixture {
    async fn make(&self, target: Target) -> String {
        let db = &self.app.state.db;
        match target {
            Target::ConnectLink | Target::ConnectLinkToken => {
                let request = engine::connections::connect_links::LinkRequest {
                    platforms: vec![Platform::Reddit, Platform::Bluesky],
                    reconnect_account_id: None,
                    note: String::new(),
                    max_uses: 1,
                    lifetime: engine::connections::connect_links::DEFAULT_LIFETIME,
                };
                let (id, token) =
                    engine::connections::connect_links::create(db, &self.owner, request)
                        .await
                        .unwrap();
                if target == Target::ConnectLink {
                    id
                } else {
                    secrecy::ExposeSecret::expose_secret(&token).to_owned()
                }
            }
            Target::Invitation | Target::InvitationLink => {
                let email = format!("{}@example.com", engine::storage::db::new_id());
                let (id, token) =
                    engine::identity::invitations::create(db, &self.owner, &email, Role::Member)
                        .await
                        .unwrap();
                if target == Target::Invitation {
                    id
                } else {
                    secrecy::ExposeSecret::expose_secret(&token).to_owned()
                }
            }
            Target::Nothing => String::new(),
            Target::Account => {
                let who = engine::connections::connect::Connector::from(&self.owner);
                let account = NewAccount {
                    platform_account_id: engine::storage::db::new_id(),
                    ..common::stand_ins::new_account(Platform::Reddit)
                };
                let mut conn = db.pool().acquire().await.unwrap();
                engine::connections::accounts::insert(
                    &mut conn,
                    &self.app.state.secrets,
                    &who.workspace_id,
                    who.user_id.as_deref(),
                    account,
                )
                .await
                .unwrap()
            }
            Target::ApiKey => {
                engine::identity::api_keys::create(db, &self.owner, "Owner's tool")
                    .await
                    .unwrap()
                    .0
            }
            Target::Webhook => {
                // Stored directly: the page's own form would stop at ten endpoints.
                let id = engine::storage::db::new_id();
                sqlx::query(
                    "INSERT INTO webhook_endpoints (id, workspace_id, url, secret_enc, created_at)
                     VALUES ($1, $2, 'https://hooks.example.com/in', $3, 0)",
                )
                .bind(&id)
                .bind(&self.workspace)
                .bind(vec![0_u8; 8])
                .execute(db.pool())
                .await
                .unwrap();
                id
            }
            Target::Person => {
                let email = format!("{}@example.com", engine::storage::db::new_id());
                // Straight to the engine: this many sign-ups from one address would be throttled.
                let person = engine::identity::users::sign_up(db, &email, common::PASSWORD)
                    .await
                    .unwrap();
                workspaces::add(db, &self.workspace, &email, Role::Viewer, "test")
                    .await
                    .unwrap();
                person.id
            }
        }
    }

    /// Whether the target is as it was made (a refused or hidden call changes nothing).
    async fn intact(&self, target: Target, id: &str) -> bool {
        let sql = match target {
            Target::Nothing | Target::ConnectLinkToken => return true,
            Target::ConnectLink => "SELECT COUNT(*) FROM connect_links WHERE id = $1 AND revoked_at IS NULL",
            Target::Invitation => {
                "SELECT COUNT(*) FROM invitations WHERE id = $1 AND revoked_at IS NULL AND accepted_at IS NULL"
            }
            Target::InvitationLink => {
                return engine::identity::invitations::find(
                    &self.app.state.db,
                    &secrecy::SecretString::from(id.to_owned()),
                )
                .await
                .is_ok()
            }
            Target::Account => "SELECT COUNT(*) FROM connected_accounts WHERE id = $1",
            Target::ApiKey => "SELECT COUNT(*) FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
            Target::Webhook => "SELECT COUNT(*) FROM webhook_endpoints WHERE id = $1",
            Target::Person => {
                "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1 AND role = 'viewer'"
            }
        };
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(self.app.state.db.pool())
            .await
            .unwrap();
        count == 1
    }
}

fn check(what: &str, caller: &str, expect: Expect, status: StatusCode, body: &str, marker: &str) {
    let cell = format!("{what} as {caller:?}: {status} {body:.300}");
    match expect {
        Let => assert!(
            status != StatusCode::FORBIDDEN
                && status != StatusCode::UNAUTHORIZED
                && !status.is_server_error(),
            "{cell}"
        ),
        Refuse => assert_eq!(status, StatusCode::FORBIDDEN, "{cell}"),
        Hidden => {
            assert!(!status.is_server_error(), "{cell}");
            // Not found (which may name the id that was asked for), or nothing of it shown.
            assert!(
                status == StatusCode::NOT_FOUND || marker.is_empty() || !body.contains(marker),
                "{cell}"
            );
        }
        SignIn => assert!(
            status == StatusCode::UNAUTHORIZED
                || (status.is_redirection()
                    && body.is_empty()
                    && status != StatusCode::NOT_MODIFIED),
            "{cell}"
        ),
    }
}

mod scenarios {
    pub use super::*;
}

pub async fn server_functions_and_routes(backend: Backend) {
    let f = fixture(backend).await;
    // Every registered server function is in the table, and nothing in the table is gone.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/fn/").to_owned())
        .collect();
    let tabled: BTreeSet<String> = SERVER_FUNCTIONS
        .iter()
        .map(|row| row.0.to_owned())
        .collect();
    assert_eq!(
        registered, tabled,
        "the role table must name every server function"
    );

    for (function, args, target, expected) in SERVER_FUNCTIONS {
        for (column, caller) in CALLERS.iter().enumerate() {
            let id = f.make(*target).await;
            let args = args
                .replace("{target}", &id)
                .replace("{workspace}", &f.workspace);
            let response = f
                .app
                .call_with(function, &args, f.cookies[column].as_deref())
                .await;
            let marker = if *target == Target::Nothing {
                ""
            } else {
                id.as_str()
            };
            check(
                function,
                caller,
                expected[column],
                response.status,
                &response.body,
                marker,
            );
            if matches!(expected[column], Refuse | Hidden | SignIn) {
                assert!(
                    f.intact(*target, &id).await,
                    "{function} as {caller:?} changed its target"
                );
            }
        }
    }

    act_in(&f.app, &f.cookies, &f.workspace).await;
    for (method, path, form, expected) in ROUTES {
        for (column, caller) in CALLERS.iter().enumerate() {
            let account = f.make(Target::Account).await;
            let link = if path.contains("{link}") {
                f.make(Target::ConnectLinkToken).await
            } else {
                String::new()
            };
            let path = path.replace("{target}", &account).replace("{link}", &link);
            let cookie = f.cookies[column].as_deref();
            let response = if *method == "GET" {
                f.app.get(&path, cookie).await
            } else {
                let fields: Vec<(&str, &str)> = form
                    .split('&')
                    .filter(|pair| !pair.is_empty())
                    .filter_map(|pair| pair.split_once('='))
                    .collect();
                f.app.post_form(&path, &fields, cookie).await
            };
            check(
                &path,
                caller,
                expected[column],
                response.status,
                &response.body,
                &account,
            );
        }
    }
}

pub async fn the_api_by_the_key_makers_role(backend: Backend) {
    let f = fixture(backend).await;
    let documented: BTreeSet<(String, String)> = plugboard::web::api::openapi()
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(method, _)| (method.to_owned(), path.clone()))
        })
        .collect();
    let tabled: BTreeSet<(String, String)> = API
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(
        documented, tabled,
        "the role table must name every API endpoint"
    );

    // A key for each caller, made while their role could make one; the viewer's maker was
    // demoted afterwards, so the key acts as a viewer.
    let mut keys = Vec::new();
    for (column, email) in CALLERS.iter().enumerate() {
        if email.is_empty() {
            keys.push(None);
            continue;
        }
        let mut maker = f.app.member(email).await;
        if column < 4 {
            maker = workspaces::member(&f.app.state.db, maker.user, Some(&f.workspace))
                .await
                .unwrap();
        }
        // Keys are made by members and up: the viewer's key was made before a demotion.
        let role = maker.workspace.role;
        maker.workspace.role = Role::Member;
        let _ = role;
        let (_, key) = engine::identity::api_keys::create(&f.app.state.db, &maker, "tool")
            .await
            .unwrap();
        keys.push(Some(secrecy::ExposeSecret::expose_secret(&key).to_owned()));
    }

    let owner_key = keys[0].clone().unwrap();
    let owner_client = common::api::ApiClient::new(&f.app, &owner_key).await;
    for (method, path, expected) in API {
        for (column, caller) in CALLERS.iter().enumerate() {
            let account = f.make(Target::Account).await;
            let post = owner_client.schedule("hello", &[&account]).await;
            let path = path.replace(
                "{id}",
                if path.contains("posts") {
                    &post
                } else {
                    &account
                },
            );
            let body = serde_json::json!({
                "text": "hi",
                "scheduled_at": chrono::Utc::now() + chrono::Duration::hours(1),
                "account_ids": [account],
            });
            let mut request = axum::http::Request::builder()
                .method(*method)
                .uri(&path)
                .header(axum::http::header::HOST, "localhost:3000")
                .header(axum::http::header::CONTENT_TYPE, "application/json");
            if let Some(key) = &keys[column] {
                request =
                    request.header(axum::http::header::AUTHORIZATION, format!("Bearer {key}"));
            }
            let body = if *method == "POST" {
                body.to_string()
            } else {
                String::new()
            };
            let response = f
                .app
                .send(request.body(axum::body::Body::from(body)).unwrap())
                .await;
            check(
                &path,
                caller,
                expected[column],
                response.status,
                &response.body,
                &account,
            );
        }
    }
}

scenarios_on_both_databases!(server_functions_and_routes, the_api_by_the_key_makers_role);
