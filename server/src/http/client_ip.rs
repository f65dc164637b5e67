//! The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, request::Parts},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

use crate::{
    error::{AppError, Internal},
    state::AppState,
};

/// The TCP peer of the connection, set by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The client address as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// Resolves the client address from the peer and the forwarding headers.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, proxies: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted(peer, proxies) {
        return peer;
    }
    // Every X-Forwarded-For header, in order, as one list of hops.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                let ip = ip.to_canonical();
                client = ip;
                if !trusted(ip, proxies) {
                    break;
                }
            }
            // Garbage in the chain: believe nothing further left of it.
            Err(_) => break,
        }
    }
    client
}

/// Middleware that puts a [`ClientIp`] into every request.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<PeerAddr>().map(|p| p.0.ip());
    let ip = match peer {
        Some(peer) => resolve(peer, req.headers(), &state.trusted_proxies),
        None => IpAddr::from([127, 0, 0, 1]),
    };
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .ok_or(AppError::Internal(Internal::NoClientAddress))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let ip = resolve("203.0.113.9".parse().unwrap(), &headers(&["1.2.3.4"]), &[]);
        assert_eq!(ip.to_string(), "203.0.113.9");
    }

    #[test]
    fn a_trusted_proxy_gives_the_right_most_untrusted_hop() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&["198.51.100.7, 192.0.2.1", "10.1.1.1"]);
        assert_eq!(
            resolve("10.0.0.2".parse().unwrap(), &h, &proxies).to_string(),
            "192.0.2.1"
        );
        // Only proxies in the chain: the left-most one.
        let h = headers(&["10.9.9.9"]);
        assert_eq!(
            resolve("10.0.0.2".parse().unwrap(), &h, &proxies).to_string(),
            "10.9.9.9"
        );
        // No header: the proxy itself.
        assert_eq!(
            resolve("10.0.0.2".parse().unwrap(), &HeaderMap::new(), &proxies).to_string(),
            "10.0.0.2"
        );
        // Garbage stops the walk at the last good hop.
        let h = headers(&["1.1.1.1, nonsense, 10.2.2.2"]);
        assert_eq!(
            resolve("10.0.0.2".parse().unwrap(), &h, &proxies).to_string(),
            "10.2.2.2"
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_peers_read_as_ipv4() {
        let ip = resolve("::ffff:192.0.2.5".parse().unwrap(), &HeaderMap::new(), &[]);
        assert_eq!(ip.to_string(), "192.0.2.5");
    }
}
