//! Bytes on the wire: every text response gzipped when the browser takes it, a streamed page's
//! skeleton sent before its data, and what is never compressed.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Backend, TestApp};
use http_body_util::BodyExt;
use std::io::Read;
use tower::ServiceExt;

/// What `bytes` decode to, as far as they go: a flushed prefix decodes without the stream's end.
fn decode(encoding: &str, bytes: &[u8]) -> String {
    let mut text = Vec::new();
    let _ = match encoding {
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut text),
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut text),
        other => panic!("unexpected encoding {other}"),
    };
    String::from_utf8(text).expect("utf-8")
}

fn page_request(path: &str, cookie: &str, accept_encoding: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "localhost:3000")
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_ENCODING, accept_encoding)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_go_out_compressed_as_the_browser_asks() {
    let app = TestApp::new(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    app.seed_demo_accounts("ada@example.com", 50).await;
    let plain = app.get("/dashboard/connections", Some(&cookie)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.body.matches("data-account-id=").count(), 50);
    for (asked, sent) in [
        ("gzip, deflate, br, zstd", "gzip"),
        ("gzip", "gzip"),
        ("br;q=1, gzip;q=0.5", "gzip"),
    ] {
        let response = app
            .router
            .clone()
            .oneshot(page_request("/dashboard/connections", &cookie, asked))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asked}");
        assert_eq!(
            response.headers()[header::CONTENT_ENCODING],
            sent,
            "{asked}"
        );
        assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
        let vary = response.headers()[header::VARY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(vary.contains("accept-encoding"), "{vary}");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let page = decode(sent, &bytes);
        assert_eq!(page.matches("data-account-id=").count(), 50, "{asked}");
        assert!(
            page.contains("</html>") && page.len().abs_diff(plain.body.len()) < 200,
            "{asked}: the whole page"
        );
        // A page of 50 cards is mostly repetition.
        assert!(
            bytes.len() * 5 < plain.body.len(),
            "{asked}: {} bytes for {} plain",
            bytes.len(),
            plain.body.len()
        );
    }
    // Asking for no gzip gets the page as it is, still marked as varying.
    let response = app
        .router
        .clone()
        .oneshot(page_request(
            "/dashboard/connections",
            &cookie,
            "br, identity",
        ))
        .await
        .unwrap();
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    assert!(response.headers()[header::VARY]
        .to_str()
        .unwrap()
        .contains("accept-encoding"));
}

/// The skeleton must reach the browser while the data loads, compressed or not: an encoder that
/// waited for its window to fill would hold it until the whole page was ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_skeleton_is_sent_before_the_data_it_stands_for() {
    let app = TestApp::with_settings(
        Backend::Sqlite,
        &[("PLUGBOARD_DEBUG_DATA_DELAY_MS", "1500")],
    )
    .await;
    let cookie = app.sign_up("ada@example.com").await;
    app.seed_demo_accounts("ada@example.com", 3).await;
    for encoding in ["gzip"] {
        let response = app
            .router
            .clone()
            .oneshot(page_request("/dashboard/connections", &cookie, encoding))
            .await
            .unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], encoding);
        let mut body = response.into_body();
        let first = body
            .frame()
            .await
            .expect("a first frame")
            .unwrap()
            .into_data()
            .unwrap();
        let mut seen = first.to_vec();
        let before_the_data = decode(encoding, &first);
        assert!(
            before_the_data.contains("data-testid=\"connections-skeleton\""),
            "{encoding}: {before_the_data}"
        );
        assert!(
            !before_the_data.contains("data-testid=\"connections-list\""),
            "{encoding}: the first frame held the list, so the skeleton waited for it"
        );
        while let Some(frame) = body.frame().await {
            seen.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        let page = decode(encoding, &seen);
        assert!(page.starts_with(&before_the_data), "{encoding}");
        assert_eq!(page.matches("data-account-id=").count(), 3, "{encoding}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_answers_and_non_text_go_out_as_they_are() {
    let app = TestApp::new(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    // A short JSON answer: the headers would cost more than compression saves.
    let response = app
        .router
        .clone()
        .oneshot(
            Request::get("/healthz")
                .header(header::HOST, "localhost:3000")
                .header(header::ACCEPT_ENCODING, "br, gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    // An avatar is an image: already compressed.
    let id = app.seed_demo_accounts("ada@example.com", 1).await.remove(0);
    let response = app
        .router
        .clone()
        .oneshot(page_request(
            &format!("/api/v1/accounts/{id}/avatar"),
            &cookie,
            "br, gzip",
        ))
        .await
        .unwrap();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if !content_type.starts_with("image/svg") {
        assert!(
            response.headers().get(header::CONTENT_ENCODING).is_none(),
            "{content_type}"
        );
    }
}
