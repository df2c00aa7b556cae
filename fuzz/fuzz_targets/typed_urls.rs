//! Addresses people type (a server, an instance, a webhook endpoint, a place to return to after
//! signing in) and the address guard's judgement of any IP address.
#![no_main]

use engine::net::address_guard::{is_public, not_public_kind};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(url) = engine::platforms::credentials::check_base_url(&text, domain::CredentialField::BaseUrl) {
        assert!(url.query().is_none() && url.fragment().is_none() && url.username().is_empty());
    }
    if let Ok(url) = engine::connections::connect::instance_url(&text) {
        assert!(matches!(url.scheme(), "http" | "https"));
    }
    if let Ok(url) = engine::events::webhooks::check_endpoint_url(&text) {
        assert!(url.password().is_none() && url.fragment().is_none());
    }
    if domain::is_local_path(&text) {
        assert!(text.starts_with('/') && !text.starts_with("//"));
        assert!(!text.contains('\\') && !text.chars().any(|c| c.is_control()));
    }
    let ip = match data.len() {
        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(data).unwrap())),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(data).unwrap())),
        _ => return,
    };
    assert_eq!(is_public(ip), not_public_kind(ip).is_none());
    if let IpAddr::V4(v4) = ip {
        // An IPv4 address written as IPv6 is judged as itself.
        assert_eq!(is_public(ip), is_public(IpAddr::V6(v4.to_ipv6_mapped())));
    }
});
