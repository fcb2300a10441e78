//! The portal's address. Tokens travel with every request, so the client refuses plain
//! http except to this computer, where nothing crosses a network.

use std::net::IpAddr;

use crate::ClientError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalUrl(url::Url);

impl PortalUrl {
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let trimmed = text.trim();
        let url = url::Url::parse(trimmed).map_err(|e| ClientError::InvalidUrl {
            url: trimmed.to_owned(),
            reason: e.to_string(),
        })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(ClientError::InsecureUrl {
                    url: trimmed.to_owned(),
                })
            }
            other => {
                return Err(ClientError::InvalidUrl {
                    url: trimmed.to_owned(),
                    reason: format!("the scheme {other} is not supported; use https://"),
                })
            }
        }
        if url.host().is_none() {
            return Err(ClientError::InvalidUrl {
                url: trimmed.to_owned(),
                reason: "it names no host".into(),
            });
        }
        Ok(PortalUrl(url))
    }

    /// The URL of `path` (which starts with `/`) on this portal.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0.as_str().trim_end_matches('/'), path)
    }

    /// Whether the portal is this computer. Requests to it never go through a proxy: a
    /// proxy would see the tokens of a plain-http loopback portal in clear.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }

    /// The HTTP settings of every request to this portal: proxies from the environment
    /// (and, on macOS and Windows, the system settings), except for this computer.
    pub(crate) fn http_builder(&self) -> reqwest::ClientBuilder {
        let builder =
            reqwest::Client::builder().user_agent(concat!("sxadmin/", env!("CARGO_PKG_VERSION")));
        if self.is_loopback() {
            builder.no_proxy()
        } else {
            builder
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        assert!(PortalUrl::parse("https://portal.secure-exchanges.com").is_ok());
        assert!(PortalUrl::parse("http://127.0.0.1:7878").is_ok());
        assert!(PortalUrl::parse("http://[::1]:7878/").is_ok());
        assert!(PortalUrl::parse("http://localhost:7878").is_ok());
        assert!(matches!(
            PortalUrl::parse("http://portal.example.com"),
            Err(ClientError::InsecureUrl { .. })
        ));
        assert!(matches!(
            PortalUrl::parse("http://127.0.0.1.evil.example"),
            Err(ClientError::InsecureUrl { .. })
        ));
        assert!(matches!(
            PortalUrl::parse("ftp://portal.example.com"),
            Err(ClientError::InvalidUrl { .. })
        ));
        assert!(matches!(
            PortalUrl::parse("portal"),
            Err(ClientError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn paths_join_without_double_slashes() {
        let url = PortalUrl::parse("http://127.0.0.1:7878/").unwrap();
        assert_eq!(url.join("/api/v1/me"), "http://127.0.0.1:7878/api/v1/me");
    }
}
