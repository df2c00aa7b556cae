//! Refuses URLs that a person types (a Listmonk server, a Mastodon instance, a Bluesky PDS, a
//! webhook endpoint) when they lead to loopback, private or link-local addresses, so Plugboard
//! cannot be used to reach services inside its own network. The address checked is the address
//! connected to: the client is pinned to it, so DNS cannot change its answer in between.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("Enter an http:// or https:// address.")]
    NotHttp,
    #[error("That address does not resolve.")]
    Unresolvable,
    #[error("That address is on a private or local network, which this instance does not allow.")]
    Private,
}

/// Whether an address is reachable on the public internet (not loopback, private, link-local,
/// carrier-grade NAT, multicast, documentation or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

/// Resolves the URL's host and checks every address. Returns the address to connect to.
pub async fn resolve(url: &Url, allow_private: bool) -> Result<SocketAddr, UrlRefused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefused::NotHttp);
    }
    let host = url.host_str().ok_or(UrlRefused::NotHttp)?;
    let port = url.port_or_known_default().ok_or(UrlRefused::NotHttp)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| UrlRefused::Unresolvable)?
        .collect();
    let first = *addrs.first().ok_or(UrlRefused::Unresolvable)?;
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(UrlRefused::Private);
    }
    Ok(first)
}

/// A client that can only talk to the checked address of `url`'s host.
pub async fn pinned_client(
    url: &Url,
    allow_private: bool,
    timeout: Duration,
) -> Result<reqwest::Client, UrlRefused> {
    let addr = resolve(url, allow_private).await?;
    let host = url.host_str().ok_or(UrlRefused::NotHttp)?;
    Ok(crate::http::client_builder(timeout)
        .resolve(host, addr)
        .build()
        .expect("a TLS backend is compiled in"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn loopback_urls_are_refused_unless_allowed() {
        let url = Url::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(resolve(&url, false).await, Err(UrlRefused::Private));
        assert!(resolve(&url, true).await.is_ok());
        let localhost = Url::parse("http://localhost:9/").unwrap();
        assert_eq!(resolve(&localhost, false).await, Err(UrlRefused::Private));
        let ftp = Url::parse("ftp://example.com/").unwrap();
        assert_eq!(resolve(&ftp, false).await, Err(UrlRefused::NotHttp));
    }
}
