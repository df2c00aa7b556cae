//! Every outbound path to a server a person typed (a Bluesky PDS, a Listmonk, a Mastodon instance,
//! a webhook endpoint), when it is typed and every time it is used afterwards, refuses addresses
//! inside the network: a stand-in listening on loopback must never hear from any of them. Then,
//! as a property: for any address of any non-public kind, the guard and every typed-URL entry
//! point refuse it.

mod common;

use chrono::Utc;
use common::stand_ins::{new_account, Canned, Scripted, EMAIL};
use common::{Backend, TestApp};
use domain::{CredentialField, Platform};
use engine::connections::accounts::NewAccount;
use engine::connections::connect::{self, ConnectError, CredentialInput};
use engine::net::address_guard::{self, UrlRefused, NOT_PUBLIC};
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::net::IpAddr;

/// Every path a server inside the network could be called at by one of Plugboard's paths.
const INSIDE_PATHS: [&str; 9] = [
    "/xrpc/com.atproto.server.refreshSession",
    "/xrpc/com.atproto.server.createSession",
    "/xrpc/com.atproto.server.deleteSession",
    "/xrpc/app.bsky.actor.getProfile",
    "/api/lists",
    "/api/v1/apps",
    "/api/v1/accounts/verify_credentials",
    "/oauth/revoke",
    "/hook",
];

/// An app that does not allow private URLs, a signed-up person, and a stand-in on loopback that
/// answers everything as a healthy server would (so only the guard can keep a path away).
async fn app_and_inside_server() -> (TestApp, engine::connections::connect::Connector, Scripted) {
    let inside = Scripted::start().await;
    for path in INSIDE_PATHS {
        inside.answer(path, Canned::json(200, json!({"ok": true})));
    }
    let app = TestApp::new(Backend::Sqlite).await;
    app.sign_up(EMAIL).await;
    let user = app.connector(EMAIL).await;
    (app, user, inside)
}

fn hits(inside: &Scripted) -> usize {
    INSIDE_PATHS
        .iter()
        .map(|path| inside.received(path).len())
        .sum()
}

/// Stores an account whose own server is the one in `metadata` (and a Bluesky app password).
async fn seed(
    app: &TestApp,
    owner: &str,
    platform: Platform,
    metadata: Value,
    due: bool,
) -> String {
    let account = NewAccount {
        extra_secret: Some(SecretString::from("abcd-efgh-ijkl-mnop".to_owned())),
        metadata,
        next_refresh_at: due.then(|| Utc::now() - chrono::Duration::seconds(1)),
        ..new_account(platform)
    };
    app.insert_account(owner, account).await
}

fn is_private_refusal(result: Result<impl std::fmt::Debug, ConnectError>) -> bool {
    matches!(
        result,
        Err(ConnectError::UrlRefused {
            problem: UrlRefused::Private,
            ..
        })
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_path_reaches_a_server_on_loopback() {
    let (app, user, inside) = app_and_inside_server().await;
    let base = inside.base.clone();

    // Typed: a Bluesky PDS, a Listmonk, a Mastodon instance, a webhook endpoint.
    let bluesky = CredentialInput::new(Platform::Bluesky)
        .with(CredentialField::Identifier, "ada.bsky.social")
        .with(CredentialField::AppPassword, "abcd-efgh-ijkl-mnop")
        .with(CredentialField::PdsUrl, base.clone());
    assert!(is_private_refusal(
        connect::connect_credentials(&app.state, &user, bluesky, None).await
    ));
    let listmonk = CredentialInput::new(Platform::Listmonk)
        .with(CredentialField::BaseUrl, base.clone())
        .with(CredentialField::ApiUser, "api")
        .with(CredentialField::ApiToken, "token");
    assert!(is_private_refusal(
        connect::connect_credentials(&app.state, &user, listmonk, None).await
    ));
    assert!(is_private_refusal(
        connect::start(&app.state, &user, Platform::Mastodon, None, Some(&base)).await
    ));
    assert!(matches!(
        engine::events::webhooks::create_endpoint(
            &app.state,
            &user.workspace_id,
            EMAIL,
            &format!("{base}/hook")
        )
        .await,
        Err(engine::events::webhooks::EndpointError::Refused(
            UrlRefused::Private
        ))
    ));

    // Stored, and used later: a Bluesky refresh and its app-password fallback, health checks of
    // each platform's own server, revoking at a Mastodon instance on disconnect.
    let bluesky = seed(
        &app,
        &user.workspace_id,
        Platform::Bluesky,
        json!({ "pds_url": base }),
        true,
    )
    .await;
    let outcome = engine::keep_alive::refresh::refresh_account(&app.state, &bluesky, false)
        .await
        .unwrap();
    assert!(
        !matches!(
            outcome,
            engine::keep_alive::refresh::Outcome::Refreshed { .. }
        ),
        "{outcome:?}"
    );
    for (platform, metadata) in [
        (Platform::Bluesky, json!({ "pds_url": base })),
        (
            Platform::Listmonk,
            json!({ "base_url": base, "api_user": "api" }),
        ),
        (Platform::Mastodon, json!({ "instance_url": base })),
    ] {
        let id = seed(&app, &user.workspace_id, platform, metadata, false).await;
        let outcome = engine::keep_alive::health::check_account(&app.state, &app.record(&id).await)
            .await
            .unwrap();
        assert_eq!(
            outcome,
            engine::keep_alive::health::HealthOutcome::Unconfirmed,
            "{platform}"
        );
    }
    let mastodon = seed(
        &app,
        &user.workspace_id,
        Platform::Mastodon,
        json!({ "instance_url": base }),
        false,
    )
    .await;
    engine::connections::disconnect::disconnect(&app.state, &app.member(EMAIL).await, &mastodon)
        .await
        .unwrap()
        .expect("disconnected");

    // A webhook endpoint stored when private URLs were allowed, delivered to now they are not.
    let endpoint = engine::storage::db::new_id();
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, workspace_id, url, secret_enc, created_at) VALUES ($1, $2, $3, $4, 0)",
    )
    .bind(&endpoint)
    .bind(&user.workspace_id)
    .bind(format!("{base}/hook"))
    .bind(app.state.secrets.seal(
        &SecretString::from("whsec_x".to_owned()),
        &format!("webhook_endpoints:{endpoint}:secret"),
    ))
    .execute(app.state.db.pool())
    .await
    .unwrap();
    engine::events::webhooks::send_test(&app.state.db, &user.workspace_id, &endpoint)
        .await
        .unwrap();
    for delivery in engine::events::webhooks::due_deliveries(&app.state.db, Utc::now(), 10)
        .await
        .unwrap()
    {
        let attempt = engine::events::webhooks::attempt(&app.state, &delivery)
            .await
            .unwrap();
        assert_ne!(attempt, Some(engine::events::webhooks::Attempt::Delivered));
    }

    assert_eq!(
        hits(&inside),
        0,
        "the server inside the network heard nothing"
    );
}

/// Any address of one of the non-public networks, and the kind of network it is in.
fn non_public_address() -> impl Strategy<Value = (IpAddr, &'static str)> {
    (0..NOT_PUBLIC.len(), any::<u128>()).prop_map(|(index, bits)| {
        let (net, kind) = NOT_PUBLIC[index];
        let net: ipnet::IpNet = net.parse().unwrap();
        let address = match net {
            ipnet::IpNet::V4(v4) => {
                let host = u32::from(v4.hostmask()) & bits as u32;
                IpAddr::V4((u32::from(v4.network()) | host).into())
            }
            ipnet::IpNet::V6(v6) => {
                let host = u128::from(v6.hostmask()) & bits;
                IpAddr::V6((u128::from(v6.network()) | host).into())
            }
        };
        (address, kind)
    })
}

fn url_of(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("http://{v4}:8080"),
        IpAddr::V6(v6) => format!("http://[{v6}]:8080"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The guard itself: an address of any kind that is not public is refused, alone or among
    /// public ones, as a literal or as an IPv4 address written as IPv6.
    #[test]
    fn the_guard_refuses_every_non_public_address((address, kind) in non_public_address()) {
        prop_assert!(!address_guard::is_public(address), "{address} ({kind})");
        let public: std::net::SocketAddr = "93.184.216.34:443".parse().unwrap();
        let resolved = std::net::SocketAddr::new(address, 443);
        prop_assert_eq!(address_guard::check_addresses(&[public, resolved], false), Err(UrlRefused::Private));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let url = url::Url::parse(&url_of(address)).unwrap();
        prop_assert_eq!(runtime.block_on(address_guard::resolve(&url, false)), Err(UrlRefused::Private));
        if let IpAddr::V4(v4) = address {
            prop_assert!(!address_guard::is_public(IpAddr::V6(v4.to_ipv6_mapped())));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every entry point where a person types a server refuses any non-public address before
    /// anything is sent to it.
    #[test]
    fn every_typed_url_entry_point_refuses_non_public_addresses((address, kind) in non_public_address()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let (app, user, _inside) = app_and_inside_server().await;
            let url = url_of(address);
            let bluesky = CredentialInput::new(Platform::Bluesky)
                .with(CredentialField::Identifier, "ada.bsky.social")
                .with(CredentialField::AppPassword, "abcd-efgh-ijkl-mnop")
                .with(CredentialField::PdsUrl, url.clone());
            assert!(is_private_refusal(connect::connect_credentials(&app.state, &user, bluesky, None).await), "{url} ({kind}) as a PDS");
            let listmonk = CredentialInput::new(Platform::Listmonk)
                .with(CredentialField::BaseUrl, url.clone())
                .with(CredentialField::ApiUser, "api")
                .with(CredentialField::ApiToken, "token");
            assert!(is_private_refusal(connect::connect_credentials(&app.state, &user, listmonk, None).await), "{url} ({kind}) as a Listmonk");
            assert!(is_private_refusal(connect::start(&app.state, &user, Platform::Mastodon, None, Some(&url)).await), "{url} ({kind}) as an instance");
            assert!(matches!(
                engine::events::webhooks::create_endpoint(&app.state, &user.workspace_id, EMAIL, &format!("{url}/hook")).await,
                Err(engine::events::webhooks::EndpointError::Refused(UrlRefused::Private))
            ), "{url} ({kind}) as a webhook");
            let stored = engine::platforms::servers::http_for_stored_url(
                &app.state,
                app.state.config.providers.get(Platform::Bluesky),
                &url,
            )
            .await;
            assert!(stored.is_err(), "{url} ({kind}) stored with an account");
        });
    }
}
