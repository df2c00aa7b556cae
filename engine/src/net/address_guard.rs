//! Refuses URLs that a person types (a Listmonk server, a Mastodon instance, a Bluesky PDS, a
//! webhook endpoint) when they lead anywhere but the public internet, so Plugboard cannot be used
//! to reach services inside its own network. The address checked is the address connected to:
//! the client is pinned to it, so DNS cannot change its answer in between (no rebinding).

use domain::MAX_TYPED_URL_CHARS;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;
use url::Url;

/// Whether a typed URL is within [`MAX_TYPED_URL_CHARS`] (checked before it is parsed).
pub fn within_bound(typed: &str) -> bool {
    typed.trim().chars().count() <= MAX_TYPED_URL_CHARS
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("Enter an http:// or https:// address.")]
    NotHttp,
    #[error("That address does not resolve.")]
    Unresolvable,
    #[error("That address is on a private or local network, which this instance does not allow.")]
    Private,
}

/// Networks that are not the public internet, by what they are (IANA's special-purpose address
/// registries, RFC 6890 and its successors). An address in any of them is refused.
pub const NOT_PUBLIC: &[(&str, &str)] = &[
    ("0.0.0.0/8", "this network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved and broadcast"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo"),
    ("2001:2::/48", "benchmarking"),
    ("2001:10::/28", "ORCHID"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fc00::/7", "unique local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
];

fn not_public() -> &'static [IpNet] {
    static NETS: OnceLock<Vec<IpNet>> = OnceLock::new();
    NETS.get_or_init(|| {
        NOT_PUBLIC
            .iter()
            .map(|(net, _)| net.parse().expect("the table holds networks"))
            .collect()
    })
}

/// What kind of non-public network an address is in, if any.
pub fn not_public_kind(ip: IpAddr) -> Option<&'static str> {
    // An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is that IPv4 address.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    not_public()
        .iter()
        .zip(NOT_PUBLIC)
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, (_, kind))| *kind)
}

/// Whether an address is reachable on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    not_public_kind(ip).is_none()
}

/// Refuses a list of resolved addresses if any of them is not public: a name that resolves to
/// one public and one private address would otherwise be a coin toss.
pub fn check_addresses(
    addrs: &[SocketAddr],
    allow_private: bool,
) -> Result<SocketAddr, UrlRefused> {
    let first = *addrs.first().ok_or(UrlRefused::Unresolvable)?;
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(UrlRefused::Private);
    }
    Ok(first)
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
    check_addresses(&addrs, allow_private)
}

/// A client that can only talk to the checked address of `url`'s host.
pub async fn pinned_client(
    url: &Url,
    allow_private: bool,
    timeout: Duration,
) -> Result<reqwest::Client, UrlRefused> {
    let addr = resolve(url, allow_private).await?;
    let host = url.host_str().ok_or(UrlRefused::NotHttp)?;
    Ok(crate::net::http::client_builder(timeout)
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
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "192.88.99.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_table_names_each_kind() {
        assert_eq!(
            not_public_kind("100.64.1.1".parse().unwrap()),
            Some("carrier-grade NAT")
        );
        assert_eq!(
            not_public_kind("64:ff9b::808:808".parse().unwrap()),
            Some("NAT64")
        );
        assert_eq!(not_public_kind("1.1.1.1".parse().unwrap()), None);
    }

    #[test]
    fn one_private_address_among_public_ones_is_enough_to_refuse() {
        let public: SocketAddr = "1.1.1.1:443".parse().unwrap();
        let private: SocketAddr = "10.0.0.1:443".parse().unwrap();
        assert_eq!(
            check_addresses(&[public, private], false),
            Err(UrlRefused::Private)
        );
        assert_eq!(check_addresses(&[public], false), Ok(public));
        assert_eq!(check_addresses(&[], false), Err(UrlRefused::Unresolvable));
        assert_eq!(check_addresses(&[private], true), Ok(private));
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
