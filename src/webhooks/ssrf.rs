//! The SSRF guard: which webhook URLs may be registered and which addresses a delivery
//! may connect to.
//!
//! Rules (DESIGN.md, `webhooks/`; modelled on Svix's resolver-side filter):
//! - A URL must be `https`, except that a host inside `webhooks.allowed_networks`
//!   (comma-separated CIDRs, e.g. `127.0.0.0/8`) may also use `http`.
//! - An address is *internal* when it is loopback, unspecified, private (RFC 1918), shared
//!   (100.64/10), link-local (169.254/16, incl. the 169.254.169.254 metadata service),
//!   "this network" (0/8), IETF protocol assignments (192.0.0/24), documentation
//!   (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20), benchmarking
//!   (198.18/15), 6to4 relay anycast (192.88.99/24), multicast, reserved (240/4) or
//!   broadcast; for IPv6 anything outside global unicast 2000::/3, plus ULA fc00::/7,
//!   link-local fe80::/10, site-local fec0::/10, multicast ff00::/8, Teredo and other
//!   2001::/23 assignments, NAT64 local-use 64:ff9b:1::/48 and discard 100::/64.
//!   IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`)
//!   and 6to4 (`2002::/16`) addresses are mapped back to their IPv4 address and judged
//!   as IPv4.
//! - Internal addresses are refused unless inside `allowed_networks`.
//! - Registration refuses literal internal addresses and names that are loopback by
//!   definition (`localhost`); other host names are only checked at delivery (DNS may be
//!   unavailable when an app registers).
//! - Delivery resolves the host once, keeps the addresses that pass, and connects only
//!   to those ([`resolve_checked`] + `reqwest::ClientBuilder::resolve_to_addrs`), so a
//!   second DNS answer cannot rebind the connection to an internal address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::OnceLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// The parsed `webhooks.allowed_networks`: CIDRs whose addresses are allowed even though
/// internal, and over plain http.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedNetworks(Vec<IpNet>);

impl AllowedNetworks {
    /// Parses comma-separated CIDRs (`"127.0.0.0/8, ::1/128"`); a bare address means a
    /// single host. Empty text is the empty set.
    ///
    /// # Errors
    /// The first entry that is not a CIDR or address.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = IpNet::from_str(item)
                .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                .map_err(|_| format!("{item:?} is not a CIDR such as 127.0.0.0/8"))?;
            nets.push(net);
        }
        Ok(AllowedNetworks(nets))
    }

    /// True when `ip` (or the IPv4 address it embeds) is inside one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let mapped = embedded_ipv4(ip).map(IpAddr::V4);
        self.0
            .iter()
            .any(|n| n.contains(&ip) || mapped.is_some_and(|m| n.contains(&m)))
    }

    /// True when no network is allowed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a URL or address is refused. The text names the rule, never the URL's query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    /// Not an absolute http(s) URL with a host.
    #[error("not an absolute http(s) URL")]
    InvalidUrl,
    /// `http` to a host outside `allowed_networks`.
    #[error("plain http is only allowed to hosts inside webhooks.allowed_networks")]
    InsecureScheme,
    /// The address is internal (loopback, private, metadata, …).
    #[error("address {0} is internal and not inside webhooks.allowed_networks")]
    InternalAddress(IpAddr),
    /// DNS gave no address, or failed.
    #[error("cannot resolve host: {0}")]
    Resolve(String),
    /// Every resolved address was refused.
    #[error("every address of the host is refused: {0}")]
    NoAllowedAddress(String),
}

fn v4_blocked() -> &'static [Ipv4Net] {
    static NETS: OnceLock<Vec<Ipv4Net>> = OnceLock::new();
    NETS.get_or_init(|| {
        [
            "0.0.0.0/8",       // "this network", unspecified
            "10.0.0.0/8",      // RFC 1918
            "100.64.0.0/10",   // shared address space (CGNAT)
            "127.0.0.0/8",     // loopback
            "169.254.0.0/16",  // link-local, cloud metadata
            "172.16.0.0/12",   // RFC 1918
            "192.0.0.0/24",    // IETF protocol assignments
            "192.0.2.0/24",    // TEST-NET-1
            "192.88.99.0/24",  // 6to4 relay anycast
            "192.168.0.0/16",  // RFC 1918
            "198.18.0.0/15",   // benchmarking
            "198.51.100.0/24", // TEST-NET-2
            "203.0.113.0/24",  // TEST-NET-3
            "224.0.0.0/4",     // multicast
            "240.0.0.0/4",     // reserved, incl. broadcast 255.255.255.255
        ]
        .iter()
        .map(|s| Ipv4Net::from_str(s).expect("static CIDR"))
        .collect()
    })
}

fn v6_blocked() -> &'static [Ipv6Net] {
    static NETS: OnceLock<Vec<Ipv6Net>> = OnceLock::new();
    NETS.get_or_init(|| {
        [
            "64:ff9b:1::/48", // NAT64 local use
            "100::/64",       // discard-only
            "2001::/23",      // IETF protocol assignments (Teredo, ORCHID, …)
            "2001:db8::/32",  // documentation
            "3fff::/20",      // documentation (RFC 9637)
            "fc00::/7",       // unique local
            "fe80::/10",      // link-local
            "fec0::/10",      // site-local (deprecated)
            "ff00::/8",       // multicast
        ]
        .iter()
        .map(|s| Ipv6Net::from_str(s).expect("static CIDR"))
        .collect()
    })
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:0:0/96`,
/// IPv4-compatible `::/96` (except `::` and `::1`), NAT64 `64:ff9b::/96`, 6to4 `2002::/16`.
/// An IPv4 address is returned as is.
pub fn embedded_ipv4(ip: IpAddr) -> Option<Ipv4Addr> {
    let v6 = match ip {
        IpAddr::V4(v4) => return Some(v4),
        IpAddr::V6(v6) => v6,
    };
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !(s[6] == 0 && s[7] <= 1) {
        return Some(low);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// True when `ip` is internal (see the module docs), regardless of `allowed_networks`.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_blocked().iter().any(|n| n.contains(&v4)),
        IpAddr::V6(v6) => {
            if v6 == Ipv6Addr::UNSPECIFIED || v6 == Ipv6Addr::LOCALHOST {
                return true;
            }
            if let Some(v4) = embedded_ipv4(ip) {
                return is_internal(IpAddr::V4(v4));
            }
            // Only global unicast (2000::/3) is routable on the internet.
            let global_unicast = (v6.segments()[0] & 0xe000) == 0x2000;
            !global_unicast || v6_blocked().iter().any(|n| n.contains(&v6))
        }
    }
}

/// True when a delivery may connect to `ip` for a URL of `scheme`: inside
/// `allowed` (any scheme), or public and `https`.
pub fn address_allowed(ip: IpAddr, scheme: &str, allowed: &AllowedNetworks) -> bool {
    allowed.contains(ip) || (scheme == "https" && !is_internal(ip))
}

/// The IP of a URL whose host is a literal address (`url` already normalises
/// `2130706433`, `0x7f.1`, `[::1]`).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Parses and checks a webhook URL at registration (no DNS).
///
/// # Errors
/// [`SsrfError::InvalidUrl`] (not http(s), no host, unparsable),
/// [`SsrfError::InsecureScheme`], [`SsrfError::InternalAddress`] for a literal internal
/// address or `localhost` outside `allowed`.
pub fn check_registration(text: &str, allowed: &AllowedNetworks) -> Result<Url, SsrfError> {
    let url = Url::parse(text.trim()).map_err(|_| SsrfError::InvalidUrl)?;
    let scheme = url.scheme();
    if !matches!(scheme, "http" | "https") || url.host_str().map_or(true, str::is_empty) {
        return Err(SsrfError::InvalidUrl);
    }
    if let Some(ip) = literal_ip(&url) {
        if address_allowed(ip, scheme, allowed) {
            return Ok(url);
        }
        return Err(if is_internal(ip) {
            SsrfError::InternalAddress(ip)
        } else {
            SsrfError::InsecureScheme
        });
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        if !allowed.contains(loopback) {
            return Err(SsrfError::InternalAddress(loopback));
        }
        return Ok(url);
    }
    if scheme == "http" && allowed.is_empty() {
        // No host name could ever be inside an empty allowlist.
        return Err(SsrfError::InsecureScheme);
    }
    Ok(url)
}

/// Resolves the URL's host once and returns the socket addresses a delivery may connect
/// to (port from the URL or the scheme's default).
///
/// # Errors
/// [`SsrfError::InvalidUrl`], [`SsrfError::Resolve`], [`SsrfError::InternalAddress`]
/// (a literal address refused), [`SsrfError::NoAllowedAddress`] (every resolved address
/// refused).
pub async fn resolve_checked(
    url: &Url,
    allowed: &AllowedNetworks,
) -> Result<Vec<SocketAddr>, SsrfError> {
    let scheme = url.scheme();
    if !matches!(scheme, "http" | "https") {
        return Err(SsrfError::InvalidUrl);
    }
    let port = url.port_or_known_default().ok_or(SsrfError::InvalidUrl)?;
    if let Some(ip) = literal_ip(url) {
        if address_allowed(ip, scheme, allowed) {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        return Err(if is_internal(ip) {
            SsrfError::InternalAddress(ip)
        } else {
            SsrfError::InsecureScheme
        });
    }
    let host = url.host_str().ok_or(SsrfError::InvalidUrl)?;
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| SsrfError::Resolve(e.to_string()))?
        .collect();
    if resolved.is_empty() {
        return Err(SsrfError::Resolve("no address".into()));
    }
    let kept: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| address_allowed(a.ip(), scheme, allowed))
        .collect();
    if kept.is_empty() {
        let refused: Vec<String> = resolved.iter().map(|a| a.ip().to_string()).collect();
        return Err(SsrfError::NoAllowedAddress(refused.join(", ")));
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_internal_range_is_refused() {
        let internal = [
            ("unspecified v4", "0.0.0.0"),
            ("this network", "0.1.2.3"),
            ("rfc1918 10/8", "10.0.0.1"),
            ("rfc1918 10/8 top", "10.255.255.255"),
            ("shared 100.64/10", "100.64.0.1"),
            ("shared 100.64/10 top", "100.127.255.254"),
            ("loopback", "127.0.0.1"),
            ("loopback other", "127.1.2.3"),
            ("link-local", "169.254.0.1"),
            ("metadata", "169.254.169.254"),
            ("rfc1918 172.16/12", "172.16.0.1"),
            ("rfc1918 172.16/12 top", "172.31.255.255"),
            ("ietf protocol", "192.0.0.8"),
            ("doc TEST-NET-1", "192.0.2.10"),
            ("6to4 relay", "192.88.99.1"),
            ("rfc1918 192.168/16", "192.168.1.1"),
            ("benchmarking", "198.18.0.1"),
            ("benchmarking top", "198.19.255.255"),
            ("doc TEST-NET-2", "198.51.100.7"),
            ("doc TEST-NET-3", "203.0.113.9"),
            ("multicast", "224.0.0.1"),
            ("multicast top", "239.255.255.255"),
            ("reserved", "240.0.0.1"),
            ("broadcast", "255.255.255.255"),
            ("v6 unspecified", "::"),
            ("v6 loopback", "::1"),
            ("v6 mapped loopback", "::ffff:127.0.0.1"),
            ("v6 mapped private", "::ffff:10.1.2.3"),
            ("v6 mapped metadata", "::ffff:169.254.169.254"),
            ("v6 compat loopback", "::127.0.0.1"),
            ("v6 compat private", "::192.168.0.1"),
            ("nat64 loopback", "64:ff9b::127.0.0.1"),
            ("nat64 private", "64:ff9b::a00:1"),
            ("nat64 local-use", "64:ff9b:1::1"),
            ("6to4 of private", "2002:c0a8:0101::1"),
            ("6to4 of loopback", "2002:7f00:1::1"),
            ("discard", "100::1"),
            ("teredo", "2001::1"),
            ("v6 documentation", "2001:db8::1"),
            ("v6 documentation 3fff", "3fff::1"),
            ("ula fc", "fc00::1"),
            ("ula fd", "fd12:3456::1"),
            ("v6 link-local", "fe80::1"),
            ("v6 site-local", "fec0::1"),
            ("v6 multicast", "ff02::1"),
            ("v6 outside 2000::/3", "4000::1"),
        ];
        for (name, addr) in internal {
            assert!(is_internal(ip(addr)), "{name}: {addr} must be internal");
        }
    }

    #[test]
    fn public_addresses_pass() {
        let public = [
            ("v4 public", "8.8.8.8"),
            ("v4 just below 10/8", "9.255.255.255"),
            ("v4 just above 100.64/10", "100.128.0.1"),
            ("v4 just above 172.16/12", "172.32.0.1"),
            ("v4 just above 198.18/15", "198.20.0.1"),
            ("v4 below multicast", "223.255.255.254"),
            ("v6 public", "2606:4700:4700::1111"),
            ("v6 mapped public", "::ffff:8.8.8.8"),
            ("nat64 public", "64:ff9b::808:808"),
            ("6to4 public", "2002:0808:0808::1"),
        ];
        for (name, addr) in public {
            assert!(!is_internal(ip(addr)), "{name}: {addr} must be public");
        }
    }

    #[test]
    fn allowed_networks_parse_and_override() {
        let allowed =
            AllowedNetworks::parse(" 127.0.0.0/8, 10.1.0.0/16 ,fd00::/8,192.168.1.5").unwrap();
        assert!(allowed.contains(ip("127.0.0.1")));
        assert!(allowed.contains(ip("::ffff:127.0.0.1")), "mapped form too");
        assert!(allowed.contains(ip("10.1.2.3")));
        assert!(!allowed.contains(ip("10.2.0.1")));
        assert!(allowed.contains(ip("fd00::5")));
        assert!(allowed.contains(ip("192.168.1.5")));
        assert!(!allowed.contains(ip("192.168.1.6")));
        assert!(AllowedNetworks::parse("").unwrap().is_empty());
        assert!(AllowedNetworks::parse("10.0.0.0/33").is_err());
        assert!(AllowedNetworks::parse("localhost").is_err());
        assert!(address_allowed(ip("127.0.0.1"), "http", &allowed));
        assert!(!address_allowed(ip("8.8.8.8"), "http", &allowed));
        assert!(address_allowed(ip("8.8.8.8"), "https", &allowed));
        assert!(!address_allowed(ip("10.2.0.1"), "https", &allowed));
    }

    #[test]
    fn registration_rules() {
        let none = AllowedNetworks::default();
        let loopback = AllowedNetworks::parse("127.0.0.0/8").unwrap();
        let cases: &[(&str, &AllowedNetworks, bool)] = &[
            ("https://example.com/hook", &none, true),
            ("https://example.com:8443/hook?x=1", &none, true),
            ("https://8.8.8.8/hook", &none, true),
            ("http://example.com/hook", &none, false),
            ("http://example.com/hook", &loopback, true), // checked at delivery
            ("ftp://example.com/hook", &none, false),
            ("not a url", &none, false),
            ("https://", &none, false),
            ("https://127.0.0.1/hook", &none, false),
            ("https://2130706433/hook", &none, false), // decimal 127.0.0.1
            ("https://0x7f.1/hook", &none, false),
            ("https://169.254.169.254/latest/meta-data", &none, false),
            ("https://[::1]/hook", &none, false),
            ("https://10.0.0.5/hook", &none, false),
            ("https://[fd00::1]/hook", &none, false),
            ("https://[fe80::1]/hook", &none, false),
            ("https://[::ffff:127.0.0.1]/hook", &none, false),
            ("https://[::ffff:7f00:1]/hook", &none, false),
            ("https://[64:ff9b::7f00:1]/hook", &none, false),
            ("https://localhost/hook", &none, false),
            ("https://api.localhost./hook", &none, false),
            ("http://127.0.0.1:9000/hook", &loopback, true),
            ("http://localhost:9000/hook", &loopback, true),
            ("http://[::ffff:127.0.0.1]:9000/hook", &loopback, true),
            ("http://8.8.8.8/hook", &loopback, false),
            ("http://10.0.0.1/hook", &loopback, false),
        ];
        for (url, allowed, ok) in cases {
            assert_eq!(
                check_registration(url, allowed).is_ok(),
                *ok,
                "{url} with {allowed:?}"
            );
        }
    }

    #[tokio::test]
    async fn delivery_resolution_filters() {
        let none = AllowedNetworks::default();
        let loopback = AllowedNetworks::parse("127.0.0.0/8").unwrap();
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            resolve_checked(&u("http://127.0.0.1:9/x"), &loopback)
                .await
                .unwrap(),
            vec!["127.0.0.1:9".parse().unwrap()]
        );
        assert!(matches!(
            resolve_checked(&u("https://127.0.0.1/x"), &none).await,
            Err(SsrfError::InternalAddress(_))
        ));
        // `localhost` resolves without network access; with no allowlist it is refused.
        assert!(resolve_checked(&u("https://localhost:9/x"), &none)
            .await
            .is_err());
        let ok = resolve_checked(&u("http://localhost:9/x"), &loopback).await;
        if let Ok(addrs) = ok {
            assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
        }
    }
}
