//! Server configuration: a TOML file, `ORGDECK_*` environment variables and flags, in rising precedence.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use ipnet::IpNet;
use serde::Deserialize;

use crate::clock::{Clock, SystemClock};

/// Where the server listens when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

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
    /// Login attempts one client address may make per minute (a burst of as many, then one every
    /// `60 / n` seconds); more answer 429.
    pub login_attempts_per_minute: u32,
    /// The 32-byte key that encrypts TOTP secrets at rest (`ORGDECK_SECRET_KEY` or
    /// `secret_key` in the file, base64). `None`: the data directory's `secret.key`, created on first start.
    pub secret_key: Option<[u8; 32]>,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServerConfig {
    /// Defaults for a data directory: plain HTTP on 127.0.0.1:8080, 1024 connections, 10 s to send the
    /// request headers, 30 s per request, 1 MiB bodies, the system clock.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("static address"),
            data_dir: data_dir.into(),
            tls: None,
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            clock: Arc::new(SystemClock),
            login_attempts_per_minute: crate::auth::rate_limit::DEFAULT_PER_MINUTE,
            secret_key: None,
        }
    }
}

/// The platform's data directory for the server (`~/.local/share/orgdeck/server` on Linux).
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "orgdeck")
        .context("no home directory to put the data in; pass --data-dir")?;
    Ok(dirs.data_dir().join("server"))
}

/// The configuration file (`--config`, `ORGDECK_CONFIG`). Every key is optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub trusted_proxies: Option<Vec<IpNet>>,
    pub log_level: Option<String>,
    pub max_connections: Option<usize>,
    pub header_read_timeout_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub body_limit_bytes: Option<usize>,
    /// Login attempts per client address and minute.
    pub login_attempts_per_minute: Option<u32>,
    /// Base64 of the 32-byte key that encrypts TOTP secrets at rest.
    pub secret_key: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid configuration", path.display()))
    }
}

/// Settings given on the command line or in the environment (clap merges those two); `None` where
/// neither said anything.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub trusted_proxies: Vec<IpNet>,
    /// Base64 of the 32-byte secrets key.
    pub secret_key: Option<String>,
}

/// Flags and environment over the file over the defaults.
pub fn resolve(over: Overrides, file: FileConfig) -> anyhow::Result<ServerConfig> {
    let data_dir = match over.data_dir.or(file.data_dir) {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let mut config = ServerConfig::new(data_dir);
    if let Some(listen) = over.listen.or(file.listen) {
        config.listen = listen;
    }
    config.tls = match (over.tls_cert.or(file.tls_cert), over.tls_key.or(file.tls_key)) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => anyhow::bail!("TLS needs both a certificate and a key (--tls-cert and --tls-key)"),
    };
    config.trusted_proxies = if over.trusted_proxies.is_empty() {
        file.trusted_proxies.unwrap_or_default()
    } else {
        over.trusted_proxies
    };
    if let Some(n) = file.max_connections {
        config.max_connections = n;
    }
    if let Some(s) = file.header_read_timeout_secs {
        config.header_read_timeout = Duration::from_secs(s);
    }
    if let Some(s) = file.request_timeout_secs {
        config.request_timeout = Duration::from_secs(s);
    }
    if let Some(n) = file.login_attempts_per_minute {
        config.login_attempts_per_minute = n;
    }
    if let Some(b) = file.body_limit_bytes {
        config.body_limit = b;
    }
    if let Some(key) = over.secret_key.or(file.secret_key) {
        config.secret_key = Some(crate::secret_box::parse_key(&key)?);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: FileConfig = toml::from_str(
            r#"
            data_dir = "/srv/orgdeck"
            listen = "0.0.0.0:9000"
            trusted_proxies = ["10.0.0.0/8"]
            request_timeout_secs = 5
            "#,
        )
        .unwrap();
        let over = Overrides {
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let c = resolve(over, file).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(c.data_dir, PathBuf::from("/srv/orgdeck"));
        assert_eq!(c.trusted_proxies.len(), 1);
        assert_eq!(c.request_timeout, Duration::from_secs(5));
        assert_eq!(c.body_limit, 1024 * 1024);
    }

    #[test]
    fn the_secret_key_is_base64_of_32_bytes_and_the_flag_wins() {
        let file: FileConfig = toml::from_str(&format!("secret_key = \"{}\"", "A".repeat(43) + "=")).unwrap();
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        assert_eq!(resolve(over.clone(), file.clone()).unwrap().secret_key, Some([0; 32]));
        let flag = Overrides {
            secret_key: Some("A".repeat(44)),
            ..over.clone()
        };
        assert!(resolve(flag, file).is_err(), "33 bytes refused");
        assert_eq!(resolve(over, FileConfig::default()).unwrap().secret_key, None);
    }

    #[test]
    fn a_certificate_without_a_key_is_refused() {
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            tls_cert: Some("/c.pem".into()),
            ..Default::default()
        };
        assert!(resolve(over, FileConfig::default()).is_err());
        assert!(
            toml::from_str::<FileConfig>("lisen = \"x\"").is_err(),
            "typos are reported"
        );
    }
}
