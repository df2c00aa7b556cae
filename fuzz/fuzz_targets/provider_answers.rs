//! Every platform's answers, as each platform's description reads them: token answers (of the
//! code exchange and of a refresh), profiles, error bodies with their status and rate-limit
//! signals. The first byte picks the platform, the next two the status; the rest is the body,
//! whose first line also serves as the rate-limit headers' value.
#![no_main]

use domain::Platform;
use engine::platforms::failure::{classify_reply, error_identifiers, error_message};
use engine::net::http::{Reply, MAX_RETRY_AFTER};
use engine::platforms::client::ProviderClient;
use engine::platforms::catalog::Providers;
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::OnceLock;

fn clients() -> &'static Vec<ProviderClient> {
    static CLIENTS: OnceLock<Vec<ProviderClient>> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let base = url::Url::parse("http://localhost:3000").unwrap();
        let providers = Providers::from_lookup(&|_| None, &base, false).unwrap();
        let http = reqwest::Client::new();
        Platform::ALL
            .iter()
            .map(|p| ProviderClient::new(providers.get(*p), http.clone(), String::new()))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let [pick, high, low, body @ ..] = data else {
        return;
    };
    let client = &clients()[*pick as usize % Platform::ALL.len()];
    let status = 100 + u16::from_be_bytes([*high, *low]) % 500;
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        for pointers in [&client.spec.token, client.spec.refreshed_pointers()] {
            if let Ok(tokens) = client.token_set(&json, pointers) {
                if let Some(life) = tokens.expires_in {
                    assert!(life > chrono::Duration::zero());
                    assert!(
                        life <= engine::schedule::MAX_LIFETIME
                            .max(engine::schedule::FALLBACK_LIFETIME)
                    );
                }
            }
        }
        if client.spec.profile.is_some() {
            let _ = client.profiles_in(&json);
        }
        let _ = client.profile_of(&json);
        let _ = error_identifiers(&json);
        if let Some(words) = error_message(&json) {
            assert!(words.chars().count() <= 200);
        }
    }
    let first_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(first_line) {
        headers.insert(reqwest::header::RETRY_AFTER, value.clone());
        if let Some(name) = client
            .spec
            .rate_limit_reset
            .as_ref()
            .and_then(|reset| reset.header.as_deref())
        {
            headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
    }
    let reply = Reply {
        status,
        headers,
        body: body.to_vec(),
    };
    let error = classify_reply(&reply, client.spec);
    if let Some(wait) = error.retry_after {
        assert!(wait >= chrono::Duration::zero() && wait <= MAX_RETRY_AFTER);
    }
    let _ = client.json_of(&reply);
});
