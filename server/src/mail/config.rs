//! How the server sends mail: the transport (SMTP or the file outbox), the sender, the timeout of one
//! delivery and the retries.

use std::{str::FromStr, time::Duration};

use orgdeck_shared::auth::Secret;

/// Where mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// One `.eml` file per message under `<data_dir>/outbox/` (the default; the demo uses it).
    Outbox,
    Smtp(SmtpConfig),
}

/// An SMTP relay. `Debug` shows the password as `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), port 587 by default.
    Starttls,
    /// TLS from the first byte (SMTPS), port 465 by default.
    Tls,
    /// No encryption (a relay on the same host or network), port 25 by default.
    None,
}

impl SmtpSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

impl FromStr for SmtpSecurity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpSecurity::Starttls),
            "tls" => Ok(SmtpSecurity::Tls),
            "none" => Ok(SmtpSecurity::None),
            other => Err(format!("{other:?} is not an SMTP security (starttls, tls or none)")),
        }
    }
}

/// The kind of transport, as the configuration names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Outbox,
    Smtp,
}

impl FromStr for TransportKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "outbox" | "file" => Ok(TransportKind::Outbox),
            "smtp" => Ok(TransportKind::Smtp),
            other => Err(format!("{other:?} is not a mail transport (smtp or outbox)")),
        }
    }
}

/// Failed deliveries are tried again after `initial`, doubling up to `max`, `max_attempts` times in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt.
    pub fn delay(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial: Duration::from_secs(30),
            max: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// The sender, `orgdeck <orgdeck@example.com>` or a bare address.
    pub from: String,
    /// The longest one delivery may take.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// The sender when none is configured.
pub const DEFAULT_FROM: &str = "orgdeck <orgdeck@localhost>";

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: MailTransport::Outbox,
            from: DEFAULT_FROM.into(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1), Duration::from_secs(30));
        assert_eq!(p.delay(2), Duration::from_secs(60));
        assert_eq!(p.delay(3), Duration::from_secs(120));
        assert_eq!(p.delay(40), Duration::from_secs(3600));
        assert_eq!("STARTTLS".parse::<SmtpSecurity>(), Ok(SmtpSecurity::Starttls));
        assert!("ssl".parse::<SmtpSecurity>().is_err());
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let c = SmtpConfig {
            host: "smtp.example.com".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: Some("u".into()),
            password: Some(Secret::new("hunter2")),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
