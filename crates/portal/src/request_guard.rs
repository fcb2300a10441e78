//! What every request is checked for before any route sees it: that it was meant for this
//! portal (its `Host`), and from which client address it came.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::ApiError;

/// The address a request came from: the socket peer, or the address a trusted reverse
/// proxy reports (see [`crate::PortalConfig::trust_forwarded_for`]). Every request carries
/// one as an extension, for the rate limits and whatever else needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The key rate limits count under. An IPv6 client usually holds a whole /64, so its
    /// addresses count as one; an IPv4-mapped address counts as its IPv4 address.
    pub fn limit_key(&self) -> String {
        match self.0 {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = ip.segments();
                    let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                    format!("{prefix}/64")
                }
            },
        }
    }
}

/// The client address of `request`: the last `X-Forwarded-For` entry when the portal is
/// told a proxy in front of it adds one (the entries before it are the client's own say),
/// otherwise the socket peer. A request without either (one built in a test) counts as the
/// unspecified address.
pub fn client_address(request: &Request, trust_forwarded_for: bool) -> ClientAddress {
    if trust_forwarded_for {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ClientAddress(ip);
        }
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    ClientAddress(peer)
}

/// The `Host` values this portal answers to: its public URL's, and for a loopback listener
/// the loopback names with its port. Anything else is refused, so a web page whose DNS name
/// is pointed at 127.0.0.1 (DNS rebinding) cannot read the portal's answers.
#[derive(Clone, Debug)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    pub fn new(public_url: &str, listen: SocketAddr) -> Self {
        let mut hosts = Vec::new();
        if let Ok(url) = url::Url::parse(public_url) {
            if let Some(host) = url.host_str() {
                let host = host.to_ascii_lowercase();
                match url.port() {
                    Some(port) => hosts.push(format!("{host}:{port}")),
                    None => {
                        // The default port may be written or left out.
                        if let Some(port) = url.port_or_known_default() {
                            hosts.push(format!("{host}:{port}"));
                        }
                        hosts.push(host);
                    }
                }
            }
        }
        if listen.ip().is_loopback() {
            let port = listen.port();
            for name in ["127.0.0.1", "[::1]", "localhost"] {
                hosts.push(format!("{name}:{port}"));
            }
        } else {
            hosts.push(listen.to_string());
        }
        hosts.sort();
        hosts.dedup();
        AllowedHosts(hosts)
    }

    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        self.0.contains(&host)
    }
}

/// Refuses requests meant for another host, and notes the client address on the others.
pub async fn check_host(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(host) if state.hosts.allows(&host) => {}
        _ => {
            return ApiError::invalid(
                "This portal does not answer for that host name; use the portal's own address.",
            )
            .into_response()
        }
    }
    let address = client_address(&request, state.config.trust_forwarded_for);
    request.extensions_mut().insert(address);
    next.run(request).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> Request {
        let mut builder = Request::builder().uri("/");
        if let Some(f) = forwarded {
            builder = builder.header("x-forwarded-for", f);
        }
        let mut request = builder.body(axum::body::Body::empty()).unwrap();
        if let Ok(addr) = peer.parse::<SocketAddr>() {
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        request
    }

    #[test]
    fn forwarded_for_is_ignored_unless_trusted() {
        let r = request("10.0.0.1:5000", Some("203.0.113.9"));
        assert_eq!(client_address(&r, false).0.to_string(), "10.0.0.1");
        let r = request("10.0.0.1:5000", Some("198.51.100.1, 203.0.113.9"));
        assert_eq!(client_address(&r, true).0.to_string(), "203.0.113.9");
        let r = request("10.0.0.1:5000", Some("garbage"));
        assert_eq!(client_address(&r, true).0.to_string(), "10.0.0.1");
    }

    #[test]
    fn an_ipv6_client_counts_per_64() {
        let a = ClientAddress("2001:db8:1:2:3:4:5:6".parse().unwrap());
        let b = ClientAddress("2001:db8:1:2:ffff::1".parse().unwrap());
        assert_eq!(a.limit_key(), b.limit_key());
        let mapped = ClientAddress("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(mapped.limit_key(), "192.0.2.1");
    }

    #[test]
    fn hosts_are_the_public_url_and_the_loopback_names() {
        let listen: SocketAddr = ([127, 0, 0, 1], 7878).into();
        let hosts = AllowedHosts::new("http://127.0.0.1:7878", listen);
        for host in [
            "127.0.0.1:7878",
            "[::1]:7878",
            "localhost:7878",
            "LOCALHOST:7878",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:7878",
            "127.0.0.1:7879",
            "localhost",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
        let hosts = AllowedHosts::new("https://portal.example.com", listen);
        assert!(hosts.allows("portal.example.com"));
        assert!(hosts.allows("portal.example.com:443"));
        assert!(!hosts.allows("portal.example.com.evil.example"));
    }
}
