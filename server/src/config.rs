//! Server configuration: a TOML file, `ORGDECK_*` environment variables and flags, in rising precedence.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use ipnet::IpNet;
use serde::Deserialize;

use crate::{
    clock::{Clock, SystemClock},
    mail::{MailConfig, MailTransport, SmtpConfig, SmtpSecurity, TransportKind},
    outbound::{AllowEntry, OutboundPolicy, parse_allowlist},
    secret_box::KeyError,
};
use orgdeck_shared::auth::Secret;

/// Where the server listens when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The default connection cap: 1,000 idle connections (held by clients that went quiet, or by an attacker)
/// plus a busy load of 64 keep-alive clients fit with room to spare, and it stays under the common hard
/// limit of 4,096 open files. Beyond it the idlest connection is closed, so the cap never locks clients out.
pub const DEFAULT_MAX_CONNECTIONS: usize = 2_048;

/// Why the configuration cannot be read or does not make sense; each case names the file, key or flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no home directory to put the data in; pass --data-dir")]
    NoHomeDirectory,
    #[error("cannot read {}", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a valid configuration", .path.display())]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("TLS needs both a certificate and a key (--tls-cert and --tls-key)")]
    TlsIncomplete,
    #[error("max_connections must be at least 1")]
    NoConnections,
    /// A timeout of zero, which would close every connection at once.
    #[error("{key} must be at least 1 (seconds)")]
    ZeroTimeout { key: &'static str },
    #[error("{origin}")]
    SecretKey { origin: KeyOrigin, source: KeyError },
    #[error("mail sender {from:?} is not an address")]
    MailSender {
        from: String,
        source: lettre::address::AddressError,
    },
    /// A value the file spells wrong (`[mail] transport`, `[mail] smtp_security`).
    #[error("{key} in the configuration file: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("the smtp mail transport needs a host (smtp_host, ORGDECK_SMTP_HOST or --smtp-host)")]
    SmtpHostMissing,
    #[error("an SMTP password without a username (smtp_username)")]
    SmtpPasswordWithoutUsername,
    /// Instances sharing a PostgreSQL database must share the key that seals secrets in it.
    #[error(
        "a PostgreSQL database needs the secret key given (ORGDECK_SECRET_KEY or secret_key in the configuration \
         file), the same on every instance"
    )]
    SecretKeyRequired,
}

/// Where a secret key came from, to name it in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// [`Overrides::secret_key`]: the environment (`ORGDECK_SECRET_KEY`).
    Environment,
    /// `secret_key` in the configuration file.
    File,
}

impl std::fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyOrigin::Environment => "ORGDECK_SECRET_KEY",
            KeyOrigin::File => "secret_key in the configuration file",
        })
    }
}

#[derive(Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub tls: Option<TlsFiles>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Connections open at once; a new one beyond it closes the connection idle the longest.
    pub max_connections: usize,
    /// From accept to the first request head (TLS handshake and HTTP/2 preface included); on HTTP/1 also
    /// from an answer to the next request head, so it is HTTP/1's keep-alive idle time too.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight (HTTP/2: no open stream) is closed after this long.
    pub idle_timeout: Duration,
    /// HTTP/2 pings a client silent this long and closes the connection when the answer takes as long again.
    pub keepalive_interval: Duration,
    pub request_timeout: Duration,
    pub body_limit: usize,
    pub clock: Arc<dyn Clock>,
    /// Login attempts one client address may make per minute (a burst of as many, then one every
    /// `60 / n` seconds); more answer 429.
    pub login_attempts_per_minute: u32,
    /// The 32-byte key that encrypts TOTP secrets at rest (`ORGDECK_SECRET_KEY` or
    /// `secret_key` in the file, base64). `None`: the data directory's `secret.key`, created on first start.
    pub secret_key: Option<[u8; 32]>,
    /// A PostgreSQL database (`postgres://...` or key-value pairs) instead of the data directory's SQLite
    /// file: several instances can serve one organization set. Requires `secret_key` (every instance must
    /// open what another sealed).
    pub database: Option<String>,
    /// Outgoing mail (email codes): the file outbox in the data directory unless SMTP is configured.
    pub mail: MailConfig,
    /// Requests to user-supplied URLs (integrations, webhooks): which private targets they may reach
    /// (`allow_private_targets`, `outbound_allowlist`) and their limits.
    pub outbound: OutboundPolicy,
    /// Channel deliveries: whether this instance runs their worker (`delivery_worker`), their schedule.
    pub delivery: crate::delivery::DeliveryConfig,
    /// The server's own events (expiring licenses): how often they are looked for.
    pub watch: crate::watch::WatchConfig,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServerConfig {
    /// Defaults for a data directory: plain HTTP on 127.0.0.1:8080, 2,048 connections, 10 s to send the
    /// request headers, 60 s idle, HTTP/2 pings after 20 s, 30 s per request, 1 MiB bodies, the system clock.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("static address"),
            data_dir: data_dir.into(),
            tls: None,
            trusted_proxies: Vec::new(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            keepalive_interval: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
            body_limit: 1024 * 1024,
            clock: Arc::new(SystemClock),
            login_attempts_per_minute: crate::auth::rate_limit::DEFAULT_PER_MINUTE,
            secret_key: None,
            database: None,
            mail: MailConfig::default(),
            outbound: OutboundPolicy::default(),
            delivery: crate::delivery::DeliveryConfig::default(),
            watch: crate::watch::WatchConfig::default(),
        }
    }
}

/// The platform's data directory for the server (`~/.local/share/orgdeck/server` on Linux).
pub fn default_data_dir() -> Result<PathBuf, ConfigError> {
    let dirs = directories::ProjectDirs::from("", "", "orgdeck").ok_or(ConfigError::NoHomeDirectory)?;
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
    pub idle_timeout_secs: Option<u64>,
    /// HTTP/2 keep-alive ping interval (and the time an answer may take).
    pub keepalive_interval_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
    pub body_limit_bytes: Option<usize>,
    /// Login attempts per client address and minute.
    pub login_attempts_per_minute: Option<u32>,
    /// Base64 of the 32-byte key that encrypts TOTP secrets at rest.
    pub secret_key: Option<String>,
    /// A PostgreSQL database URL instead of the data directory's SQLite file.
    pub database: Option<String>,
    /// The `[mail]` table.
    pub mail: Option<FileMail>,
    /// Lets integrations and webhooks reach loopback, private, link-local and shared addresses.
    pub allow_private_targets: Option<bool>,
    /// Hosts (exact names) and addresses or CIDRs integrations may reach even though private.
    pub outbound_allowlist: Option<Vec<String>>,
    /// Whether this instance sends channel deliveries (default true; an instance without it still
    /// queues them for one that has it, or for its own next start with it).
    pub delivery_worker: Option<bool>,
    /// The longest one integration request (a delivery, a Test, an issue filed) takes, answer read.
    pub outbound_timeout_secs: Option<u64>,
}

/// The `[mail]` table of the configuration file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMail {
    /// `outbox` or `smtp` (default: `smtp` when `smtp_host` is set, else `outbox`).
    pub transport: Option<String>,
    pub from: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub timeout_secs: Option<u64>,
    pub max_attempts: Option<u32>,
    pub retry_initial_secs: Option<u64>,
    pub retry_max_secs: Option<u64>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
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
    /// A PostgreSQL database URL (`ORGDECK_DATABASE_URL`).
    pub database: Option<String>,
    pub mail: MailOverrides,
    pub allow_private_targets: Option<bool>,
    /// Replaces the file's `outbound_allowlist` when not empty.
    pub outbound_allowlist: Vec<AllowEntry>,
}

/// Mail settings from flags or the environment (the password only from `ORGDECK_SMTP_PASSWORD`).
#[derive(Debug, Default, Clone)]
pub struct MailOverrides {
    pub transport: Option<TransportKind>,
    pub from: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_security: Option<SmtpSecurity>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
}

/// The mail settings: flags and environment over the `[mail]` table over the defaults.
pub fn resolve_mail(over: MailOverrides, file: FileMail) -> Result<MailConfig, ConfigError> {
    let mut mail = MailConfig::default();
    if let Some(from) = over.from.or(file.from) {
        if let Err(source) = from.parse::<lettre::message::Mailbox>() {
            return Err(ConfigError::MailSender { from, source });
        }
        mail.from = from;
    }
    if let Some(s) = file.timeout_secs {
        mail.timeout = Duration::from_secs(s.max(1));
    }
    if let Some(n) = file.max_attempts {
        mail.retry.max_attempts = n.max(1);
    }
    if let Some(s) = file.retry_initial_secs {
        mail.retry.initial = Duration::from_secs(s.max(1));
    }
    if let Some(s) = file.retry_max_secs {
        mail.retry.max = Duration::from_secs(s.max(1));
    }
    let host = over.smtp_host.or(file.smtp_host);
    let file_kind = file
        .transport
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|message| ConfigError::Invalid {
            key: "[mail] transport",
            message,
        })?;
    let kind = over.transport.or(file_kind).unwrap_or(if host.is_some() {
        TransportKind::Smtp
    } else {
        TransportKind::Outbox
    });
    if kind == TransportKind::Smtp {
        let host = host.ok_or(ConfigError::SmtpHostMissing)?;
        let file_security = file
            .smtp_security
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|message| ConfigError::Invalid {
                key: "[mail] smtp_security",
                message,
            })?;
        let security = over.smtp_security.or(file_security).unwrap_or(SmtpSecurity::Starttls);
        let password = over.smtp_password.or(file.smtp_password.map(Secret::new));
        let username = over.smtp_username.or(file.smtp_username);
        if password.is_some() && username.is_none() {
            return Err(ConfigError::SmtpPasswordWithoutUsername);
        }
        mail.transport = MailTransport::Smtp(SmtpConfig {
            host,
            port: over.smtp_port.or(file.smtp_port).unwrap_or(security.default_port()),
            security,
            username,
            password,
        });
    }
    Ok(mail)
}

/// Flags and environment over the file over the defaults.
pub fn resolve(over: Overrides, file: FileConfig) -> Result<ServerConfig, ConfigError> {
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
        _ => return Err(ConfigError::TlsIncomplete),
    };
    config.trusted_proxies = if over.trusted_proxies.is_empty() {
        file.trusted_proxies.unwrap_or_default()
    } else {
        over.trusted_proxies
    };
    if let Some(n) = file.max_connections {
        if n == 0 {
            return Err(ConfigError::NoConnections);
        }
        config.max_connections = n;
    }
    if let Some(s) = file.header_read_timeout_secs {
        config.header_read_timeout = whole_seconds("header_read_timeout_secs", s)?;
    }
    if let Some(s) = file.idle_timeout_secs {
        config.idle_timeout = whole_seconds("idle_timeout_secs", s)?;
    }
    if let Some(s) = file.keepalive_interval_secs {
        config.keepalive_interval = whole_seconds("keepalive_interval_secs", s)?;
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
    let key = match (over.secret_key, file.secret_key) {
        (Some(key), _) => Some((key, KeyOrigin::Environment)),
        (None, Some(key)) => Some((key, KeyOrigin::File)),
        (None, None) => None,
    };
    if let Some((key, origin)) = key {
        let key = crate::secret_box::parse_key(&key).map_err(|source| ConfigError::SecretKey { origin, source })?;
        config.secret_key = Some(key);
    }
    if let Some(url) = over.database.or(file.database).filter(|u| !u.trim().is_empty()) {
        crate::store::postgres::config(&url).map_err(|e| ConfigError::Invalid {
            key: "database",
            message: e.to_string(),
        })?;
        if config.secret_key.is_none() {
            return Err(ConfigError::SecretKeyRequired);
        }
        config.database = Some(url);
    }
    config.mail = resolve_mail(over.mail, file.mail.unwrap_or_default())?;
    if let Some(allow) = over.allow_private_targets.or(file.allow_private_targets) {
        config.outbound.allow_private_targets = allow;
    }
    config.outbound.allowlist = if over.outbound_allowlist.is_empty() {
        parse_allowlist(&file.outbound_allowlist.unwrap_or_default()).map_err(|message| ConfigError::Invalid {
            key: "outbound_allowlist",
            message,
        })?
    } else {
        over.outbound_allowlist
    };
    if let Some(worker) = file.delivery_worker {
        config.delivery.worker = worker;
    }
    if let Some(s) = file.outbound_timeout_secs {
        config.outbound.timeout = whole_seconds("outbound_timeout_secs", s)?;
    }
    Ok(config)
}

/// A timeout of `secs` seconds from the file's `key`; zero would close every connection at once.
fn whole_seconds(key: &'static str, secs: u64) -> Result<Duration, ConfigError> {
    if secs == 0 {
        return Err(ConfigError::ZeroTimeout { key });
    }
    Ok(Duration::from_secs(secs))
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
        let err = resolve(flag, file.clone()).err().expect("33 bytes refused");
        assert!(
            matches!(
                err,
                ConfigError::SecretKey {
                    origin: KeyOrigin::Environment,
                    source: KeyError::WrongLength { len: 33 }
                }
            ),
            "{err:?}"
        );
        let bad_file: FileConfig = toml::from_str("secret_key = \"not base64!\"").unwrap();
        let err = resolve(over.clone(), bad_file).err().expect("not base64");
        assert!(err.to_string().contains("secret_key"), "{err} names the key");
        assert_eq!(resolve(over, FileConfig::default()).unwrap().secret_key, None);
    }

    #[test]
    fn mail_goes_to_the_outbox_unless_an_smtp_host_is_configured() {
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        let c = resolve(over.clone(), FileConfig::default()).unwrap();
        assert_eq!(c.mail.transport, MailTransport::Outbox);
        let file: FileConfig = toml::from_str(
            r#"
            [mail]
            from = "Acme <it@acme.example>"
            smtp_host = "smtp.acme.example"
            smtp_username = "orgdeck"
            smtp_password = "from the file"
            max_attempts = 3
            "#,
        )
        .unwrap();
        let c = resolve(over.clone(), file.clone()).unwrap();
        assert_eq!(c.mail.from, "Acme <it@acme.example>");
        assert_eq!(c.mail.retry.max_attempts, 3);
        let MailTransport::Smtp(smtp) = &c.mail.transport else {
            panic!("smtp expected")
        };
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.security),
            ("smtp.acme.example", 587, SmtpSecurity::Starttls)
        );
        assert_eq!(smtp.password.as_ref().map(|p| p.expose()), Some("from the file"));
        // The environment's password and the flags win.
        let env = Overrides {
            mail: MailOverrides {
                smtp_security: Some(SmtpSecurity::Tls),
                smtp_password: Some(Secret::new("from the environment")),
                ..Default::default()
            },
            ..over.clone()
        };
        let c = resolve(env, file).unwrap();
        let MailTransport::Smtp(smtp) = &c.mail.transport else {
            panic!("smtp expected")
        };
        assert_eq!((smtp.port, smtp.security), (465, SmtpSecurity::Tls));
        assert_eq!(smtp.password.as_ref().map(|p| p.expose()), Some("from the environment"));
        let no_host: FileConfig = toml::from_str("[mail]\ntransport = \"smtp\"").unwrap();
        assert!(matches!(
            resolve(over.clone(), no_host),
            Err(ConfigError::SmtpHostMissing)
        ));
        let bad_from: FileConfig = toml::from_str("[mail]\nfrom = \"not an address\"").unwrap();
        assert!(matches!(
            resolve(over.clone(), bad_from),
            Err(ConfigError::MailSender { .. })
        ));
        let bad_kind: FileConfig = toml::from_str("[mail]\ntransport = \"pigeon\"").unwrap();
        let err = resolve(over, bad_kind).err().expect("an unknown transport").to_string();
        assert!(err.contains("[mail] transport") && err.contains("pigeon"), "{err}");
    }

    #[test]
    fn connection_settings_come_from_the_file_and_zero_is_refused_by_name() {
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        let c = resolve(over.clone(), FileConfig::default()).unwrap();
        assert_eq!(c.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        let file: FileConfig = toml::from_str(
            "max_connections = 64\nheader_read_timeout_secs = 5\nidle_timeout_secs = 30\nkeepalive_interval_secs = 7",
        )
        .unwrap();
        let c = resolve(over.clone(), file).unwrap();
        assert_eq!(c.max_connections, 64);
        assert_eq!(c.header_read_timeout, Duration::from_secs(5));
        assert_eq!(c.idle_timeout, Duration::from_secs(30));
        assert_eq!(c.keepalive_interval, Duration::from_secs(7));
        for key in [
            "max_connections",
            "header_read_timeout_secs",
            "idle_timeout_secs",
            "keepalive_interval_secs",
        ] {
            let file: FileConfig = toml::from_str(&format!("{key} = 0")).unwrap();
            let err = resolve(over.clone(), file).err().expect("zero is refused").to_string();
            assert!(err.contains(key), "{err:?} names {key}");
        }
    }

    #[test]
    fn the_outbound_timeout_is_whole_seconds_and_never_zero() {
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        let file = |text: &str| toml::from_str::<FileConfig>(text).unwrap();
        let c = resolve(over.clone(), file("")).unwrap();
        assert_eq!(c.outbound.timeout, Duration::from_secs(10));
        let c = resolve(over.clone(), file("outbound_timeout_secs = 3")).unwrap();
        assert_eq!(c.outbound.timeout, Duration::from_secs(3));
        let Err(err) = resolve(over, file("outbound_timeout_secs = 0")) else {
            panic!("a zero outbound timeout was taken")
        };
        assert!(err.to_string().contains("outbound_timeout_secs"), "{err}");
    }

    #[test]
    fn outbound_targets_are_public_only_unless_configured() {
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        let c = resolve(over.clone(), FileConfig::default()).unwrap();
        assert!(!c.outbound.allow_private_targets);
        assert!(c.outbound.allowlist.is_empty());
        let file: FileConfig = toml::from_str(
            "allow_private_targets = true\noutbound_allowlist = [\"jira.corp.example\", \"10.1.0.0/16\"]",
        )
        .unwrap();
        let c = resolve(over.clone(), file.clone()).unwrap();
        assert!(c.outbound.allow_private_targets);
        assert_eq!(
            c.outbound.allowlist,
            [
                AllowEntry::Host("jira.corp.example".into()),
                AllowEntry::Net("10.1.0.0/16".parse().unwrap())
            ]
        );
        // The environment (or a flag) wins, false included.
        let env = Overrides {
            allow_private_targets: Some(false),
            outbound_allowlist: vec!["192.168.5.5".parse().unwrap()],
            ..over.clone()
        };
        let c = resolve(env, file).unwrap();
        assert!(!c.outbound.allow_private_targets);
        assert_eq!(
            c.outbound.allowlist,
            [AllowEntry::Net("192.168.5.5/32".parse().unwrap())]
        );
        let bad: FileConfig = toml::from_str("outbound_allowlist = [\"*.corp.example\"]").unwrap();
        let err = resolve(over, bad).err().expect("a wildcard is refused").to_string();
        assert!(
            err.contains("outbound_allowlist") && err.contains("*.corp.example"),
            "{err}"
        );
    }

    #[test]
    fn a_certificate_without_a_key_is_refused() {
        let over = Overrides {
            data_dir: Some("/tmp/x".into()),
            tls_cert: Some("/c.pem".into()),
            ..Default::default()
        };
        assert!(matches!(
            resolve(over, FileConfig::default()),
            Err(ConfigError::TlsIncomplete)
        ));
        assert!(
            toml::from_str::<FileConfig>("lisen = \"x\"").is_err(),
            "typos are reported"
        );
    }
}
