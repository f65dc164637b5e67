//! Server configuration: a TOML file, `ORGDECK_*` environment variables and flags, in rising precedence.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use ipnet::IpNet;

use crate::clock::{Clock, SystemClock};

#[derive(Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub tls: Option<TlsFiles>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub body_limit: usize,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServerConfig {
    /// Defaults for a data directory: loopback port 8443... (filled in by the server work).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("static address"),
            data_dir: data_dir.into(),
            tls: None,
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            clock: Arc::new(SystemClock),
        }
    }
}
