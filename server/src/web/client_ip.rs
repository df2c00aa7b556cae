//! The address a request came from, for sign-in throttling.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The peer address; behind a trusted proxy, the right-most `X-Forwarded-For` entry (the one the
/// proxy itself added, which a client cannot forge).
pub fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rfind(|entry| !entry.is_empty());
        if let Some(ip) = forwarded {
            return ip.to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(forwarded: &[&str], peer: Option<&str>) -> Parts {
        let mut builder = Request::builder();
        for value in forwarded {
            builder = builder.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            parts
                .extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        parts
    }

    #[test]
    fn the_peer_address_is_used_by_default() {
        let p = parts(&["1.2.3.4"], Some("10.0.0.1:5555"));
        assert_eq!(client_ip(&p, false), "10.0.0.1");
    }

    #[test]
    fn behind_a_proxy_the_last_forwarded_entry_is_used() {
        let p = parts(&["6.6.6.6, 1.2.3.4", "5.6.7.8"], Some("10.0.0.1:5555"));
        assert_eq!(client_ip(&p, true), "5.6.7.8");
    }

    #[test]
    fn unknown_without_any_address() {
        assert_eq!(client_ip(&parts(&[], None), true), "unknown");
    }
}
