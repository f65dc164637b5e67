//! Servers (agents), SETTINGS.md section 7: the default agent settings of each environment, the
//! organization's `default_environment`, what an agent sends to register and beat, and the server list.
//!
//! Each environment's defaults are one settings document (`settings/servers/{environment}`): three types
//! of one shape ([`AgentSettings`]), so each is versioned, audited and conflict-checked on its own, as
//! every settings area is. An agent registering gets the effective settings of its environment with the
//! origin of each value (the product's default, or the organization's change to it).

use std::ops::{Deref, DerefMut};

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    FieldError,
    general::Environment,
    inventory::Server,
    validate::{check_characters, validate_display_name},
};

/// A server with no heartbeat for this long is offline (and `server_offline` is raised once).
pub const OFFLINE_AFTER_MINUTES: i64 = 15;
/// How often an agent is asked to beat.
pub const HEARTBEAT_SECONDS: u32 = 60;
/// The longest server name, hostname, language or agent version.
pub const NAME_MAX: usize = 100;
pub const HOSTNAME_MAX: usize = 253;
/// The longest `cleanup.after_days`.
pub const CLEANUP_DAYS_MAX: u32 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    #[default]
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Which stack traces an agent captures with its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stacktraces {
    #[default]
    All,
    Some,
    None,
}

impl Stacktraces {
    pub const ALL: [Stacktraces; 3] = [Stacktraces::All, Stacktraces::Some, Stacktraces::None];
    pub fn as_str(self) -> &'static str {
        match self {
            Stacktraces::All => "all",
            Stacktraces::Some => "some",
            Stacktraces::None => "none",
        }
    }
}

/// Sampling: after `baseline` requests to a route, analyse one in `frequency`, counted over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Sampling {
    pub enabled: bool,
    pub baseline: u32,
    pub frequency: u32,
    pub window_seconds: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            enabled: false,
            baseline: 5,
            frequency: 10,
            window_seconds: 180,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyslogProtocol {
    #[default]
    Udp,
    Tcp,
    Tls,
}

impl SyslogProtocol {
    pub const ALL: [SyslogProtocol; 3] = [SyslogProtocol::Udp, SyslogProtocol::Tcp, SyslogProtocol::Tls];
    pub fn as_str(self) -> &'static str {
        match self {
            SyslogProtocol::Udp => "udp",
            SyslogProtocol::Tcp => "tcp",
            SyslogProtocol::Tls => "tls",
        }
    }
}

/// Syslog severities (RFC 5424), most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyslogSeverity {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl SyslogSeverity {
    pub const ALL: [SyslogSeverity; 8] = [
        SyslogSeverity::Emergency,
        SyslogSeverity::Alert,
        SyslogSeverity::Critical,
        SyslogSeverity::Error,
        SyslogSeverity::Warning,
        SyslogSeverity::Notice,
        SyslogSeverity::Informational,
        SyslogSeverity::Debug,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SyslogSeverity::Emergency => "emergency",
            SyslogSeverity::Alert => "alert",
            SyslogSeverity::Critical => "critical",
            SyslogSeverity::Error => "error",
            SyslogSeverity::Warning => "warning",
            SyslogSeverity::Notice => "notice",
            SyslogSeverity::Informational => "informational",
            SyslogSeverity::Debug => "debug",
        }
    }
}

/// The syslog severity of each attack outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct OutcomeSeverities {
    pub exploited: SyslogSeverity,
    pub blocked: SyslogSeverity,
    pub probed: SyslogSeverity,
}

impl Default for OutcomeSeverities {
    fn default() -> Self {
        OutcomeSeverities {
            exploited: SyslogSeverity::Alert,
            blocked: SyslogSeverity::Warning,
            probed: SyslogSeverity::Notice,
        }
    }
}

/// Where agents send their security events by syslog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Syslog {
    pub enabled: bool,
    /// A hostname or IP address; required when enabled.
    pub host: String,
    pub port: u16,
    pub protocol: SyslogProtocol,
    /// 0 to 23 (19 is `local3`).
    pub facility: u8,
    pub severities: OutcomeSeverities,
}

impl Default for Syslog {
    fn default() -> Self {
        Syslog {
            enabled: false,
            host: String::new(),
            port: 514,
            protocol: SyslogProtocol::Udp,
            facility: 19,
            severities: OutcomeSeverities::default(),
        }
    }
}

/// Servers silent for `after_days` are removed from the list and free their license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Cleanup {
    pub enabled: bool,
    pub after_days: u32,
}

impl Default for Cleanup {
    fn default() -> Self {
        Cleanup {
            enabled: false,
            after_days: 30,
        }
    }
}

/// The settings an agent runs with (one document per environment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AgentSettings {
    pub log_level: LogLevel,
    /// Assess: find vulnerabilities in the running application.
    pub assess_enabled: bool,
    pub stacktraces: Stacktraces,
    pub sampling: Sampling,
    /// Protect: block attacks (needs a protect license on the server).
    pub protect_enabled: bool,
    pub bot_blocking: bool,
    pub syslog: Syslog,
    pub cleanup: Cleanup,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            log_level: LogLevel::Error,
            assess_enabled: true,
            stacktraces: Stacktraces::All,
            sampling: Sampling::default(),
            protect_enabled: false,
            bot_blocking: false,
            syslog: Syslog::default(),
            cleanup: Cleanup::default(),
        }
    }
}

/// A hostname (letters, digits, `-`, dots between labels of at most 63) or an IP address.
pub fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= HOSTNAME_MAX
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl AgentSettings {
    /// Every broken rule, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let s = &self.sampling;
        if !(1..=10_000).contains(&s.baseline) {
            errors.push(FieldError::new("sampling.baseline", "must be from 1 to 10000 requests"));
        }
        if !(1..=10_000).contains(&s.frequency) {
            errors.push(FieldError::new(
                "sampling.frequency",
                "must be from 1 to 10000 (one in N)",
            ));
        }
        if !(1..=86_400).contains(&s.window_seconds) {
            errors.push(FieldError::new(
                "sampling.window_seconds",
                "must be from 1 to 86400 seconds",
            ));
        }
        let y = &self.syslog;
        let host = y.host.trim();
        if y.enabled && host.is_empty() {
            errors.push(FieldError::new("syslog.host", "is required when syslog is on"));
        } else if !host.is_empty() && !is_host(host) {
            errors.push(FieldError::new(
                "syslog.host",
                "must be a hostname (letters, digits, - and dots) or an IP address",
            ));
        }
        if y.port == 0 {
            errors.push(FieldError::new("syslog.port", "must be from 1 to 65535"));
        }
        if y.facility > 23 {
            errors.push(FieldError::new("syslog.facility", "must be from 0 to 23"));
        }
        if !(1..=CLEANUP_DAYS_MAX).contains(&self.cleanup.after_days) {
            errors.push(FieldError::new(
                "cleanup.after_days",
                format!("must be from 1 to {CLEANUP_DAYS_MAX} days"),
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The document as stored: the syslog host without surrounding blanks.
    pub fn trimmed(mut self) -> Self {
        self.syslog.host = self.syslog.host.trim().to_owned();
        self
    }
}

/// One environment's default agent settings: `settings/servers/{environment}`.
pub trait EnvironmentDefaults:
    crate::settings::SettingsArea + Deref<Target = AgentSettings> + DerefMut + PartialEq
{
    const ENVIRONMENT: Environment;
    fn wrap(settings: AgentSettings) -> Self;
}

macro_rules! environment_defaults {
    ($($(#[doc = $doc:literal])* $name:ident: $env:ident, $area:ident;)*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub AgentSettings);

        impl Deref for $name {
            type Target = AgentSettings;
            fn deref(&self) -> &AgentSettings {
                &self.0
            }
        }

        impl DerefMut for $name {
            fn deref_mut(&mut self) -> &mut AgentSettings {
                &mut self.0
            }
        }

        impl crate::settings::SettingsArea for $name {
            const NAME: &'static str = crate::routes::area::$area;
            fn check(&self) -> Result<(), Vec<FieldError>> {
                self.0.validate()
            }
            fn stored(self) -> Self {
                $name(self.0.trimmed())
            }
        }

        impl EnvironmentDefaults for $name {
            const ENVIRONMENT: Environment = Environment::$env;
            fn wrap(settings: AgentSettings) -> Self {
                $name(settings)
            }
        }
    )*};
}

environment_defaults! {
    /// `settings/servers/development`.
    DevelopmentDefaults: Development, SERVERS_DEVELOPMENT;
    /// `settings/servers/qa`.
    QaDefaults: Qa, SERVERS_QA;
    /// `settings/servers/production`.
    ProductionDefaults: Production, SERVERS_PRODUCTION;
}

/// The settings area of an environment's defaults.
pub fn defaults_area(env: Environment) -> &'static str {
    match env {
        Environment::Development => crate::routes::area::SERVERS_DEVELOPMENT,
        Environment::Qa => crate::routes::area::SERVERS_QA,
        Environment::Production => crate::routes::area::SERVERS_PRODUCTION,
    }
}

/// `settings/servers`: what applies to every environment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ServerSettings {
    /// The environment of an agent that names none (and whose key is not limited to one).
    pub default_environment: Environment,
}

impl ServerSettings {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

// ---- agents registering and beating ----

/// `POST agent/register`: who the agent is. Registering again with the same name and hostname is the
/// same server (its license and history kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegisterAgent {
    pub name: String,
    #[serde(alias = "host")]
    pub hostname: String,
    /// Absent: the key's environment when it is limited to one, else the organization's
    /// `default_environment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// The application language the agent instruments (`java`, `node`).
    pub language: String,
    pub agent_version: String,
}

impl RegisterAgent {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = validate_display_name("name", &self.name, NAME_MAX) {
            errors.push(e);
        }
        let host = self.hostname.trim();
        if !is_host(host) {
            errors.push(FieldError::new(
                "hostname",
                "must be a hostname (letters, digits, - and dots) or an IP address",
            ));
        }
        for (field, value) in [("language", &self.language), ("agent_version", &self.agent_version)] {
            if let Err(e) = validate_display_name(field, value, 40) {
                errors.push(e);
            } else if let Err(e) = check_characters(field, value) {
                errors.push(e);
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Where a setting's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingOrigin {
    /// The product's default: the organization never changed it for this environment.
    ProductDefault,
    /// The organization's defaults for the server's environment.
    EnvironmentDefaults,
}

/// How the server's environment was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentOrigin {
    /// The agent named it.
    Agent,
    /// The agent key is limited to it.
    AgentKey,
    /// The organization's `default_environment`.
    DefaultEnvironment,
    /// An admin moved the server to it (kept when the agent registers again without naming one).
    Admin,
}

/// One effective setting: its path (`sampling.baseline`), value, and origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EffectiveSetting {
    pub field: String,
    pub value: serde_json::Value,
    pub origin: SettingOrigin,
}

/// Every leaf of `settings` with its origin: a value equal to the product's default is `product_default`.
pub fn effective(settings: &AgentSettings) -> Vec<EffectiveSetting> {
    fn walk(prefix: &str, v: &serde_json::Value, d: Option<&serde_json::Value>, out: &mut Vec<EffectiveSetting>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, child, d.and_then(|d| d.get(k)), out);
                }
            }
            leaf => out.push(EffectiveSetting {
                field: prefix.to_owned(),
                value: leaf.clone(),
                origin: if d == Some(leaf) {
                    SettingOrigin::ProductDefault
                } else {
                    SettingOrigin::EnvironmentDefaults
                },
            }),
        }
    }
    let value = serde_json::to_value(settings).unwrap_or_default();
    let default = serde_json::to_value(AgentSettings::default()).unwrap_or_default();
    let mut out = Vec::new();
    walk("", &value, Some(&default), &mut out);
    out
}

/// Whether a registering server got a protect license, and why not when it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseOutcome {
    pub licensed: bool,
    /// One sentence: why it is licensed or not.
    pub reason: String,
}

/// The answer to `POST agent/register`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Registration {
    pub server: Server,
    /// Whether this name and hostname registered before.
    pub registered_before: bool,
    pub environment_origin: EnvironmentOrigin,
    /// The settings of the server's environment, whole.
    pub settings: AgentSettings,
    /// The version of that environment's defaults (a heartbeat says when it changes).
    pub settings_version: i64,
    /// Each value with where it came from.
    pub effective: Vec<EffectiveSetting>,
    pub license: LicenseOutcome,
    /// Beat at least this often; silent for 15 minutes is offline.
    pub heartbeat_seconds: u32,
}

/// `POST agent/heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Heartbeat {
    pub server_id: Uuid,
    /// The agent's version, when it changed since registering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
}

/// The answer to a heartbeat: what the agent should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeartbeatAnswer {
    pub environment: Environment,
    pub licensed: bool,
    /// The version of the environment's defaults: register again (or read them) when it differs from the
    /// one the agent runs with.
    pub settings_version: i64,
    pub heartbeat_seconds: u32,
}

// ---- the server list ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    Online,
    Offline,
}

impl ServerStatus {
    pub const ALL: [ServerStatus; 2] = [ServerStatus::Online, ServerStatus::Offline];
    pub fn as_str(self) -> &'static str {
        match self {
            ServerStatus::Online => "online",
            ServerStatus::Offline => "offline",
        }
    }

    /// A server last heard from at `last_seen` is offline 15 minutes later.
    pub fn at(last_seen: Timestamp, now: Timestamp) -> ServerStatus {
        if now.duration_since(last_seen) > jiff::SignedDuration::from_mins(OFFLINE_AFTER_MINUTES) {
            ServerStatus::Offline
        } else {
            ServerStatus::Online
        }
    }
}

/// The most servers one page holds.
pub const PAGE_MAX: u32 = 500;

/// `GET servers?q=&environment=&status=&licensed=&cursor=&limit=`, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServerQuery {
    /// Part of the name or hostname (letter case aside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ServerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed: Option<bool>,
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `PATCH servers/{id}`: move a server to another environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateServer {
    pub environment: Environment,
}

/// `POST licenses/protect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseServer {
    pub server_id: Uuid,
}

/// `POST licenses/assess`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseApplication {
    pub application_id: Uuid,
}

/// The routes of servers, their defaults (through the settings registry) and license allocation.
pub mod endpoints {
    use super::*;
    use crate::{Page, inventory::Application, routes::*};

    crate::endpoints! {
        /// An agent registers (agent or organization key): its effective settings and license.
        Register: Post AGENT_REGISTER, Agent, params (), query (), body RegisterAgent => Registration;
        /// An agent is alive.
        Beat: Post AGENT_HEARTBEAT, Agent, params (), query (), body Heartbeat => HeartbeatAnswer;
        /// The organization's servers, by name, filtered and paged.
        List: Get SERVERS, Admin, params (), query ServerQuery, body () => Page<Server>;
        /// Moves a server to another environment.
        Update: Patch SERVER, Admin, params Uuid, query (), body UpdateServer => Server;
        /// Removes a server from the list; its protect license is freed.
        Remove: Delete SERVER, Admin, params Uuid, query (), body () => (), status 204;
        /// Gives a server a protect license (refused when none is left).
        LicenseServer: Post LICENSES_PROTECT, Admin, params (), query (), body super::LicenseServer => Server;
        /// Takes a server's protect license back.
        UnlicenseServer: Delete LICENSE_PROTECT, Admin, params Uuid, query (), body () => Server;
        /// Gives an application an assess license (refused when none is left).
        LicenseApplication: Post LICENSES_ASSESS, Admin, params (), query (), body super::LicenseApplication => Application;
        /// Takes an application's assess license back.
        UnlicenseApplication: Delete LICENSE_ASSESS, Admin, params Uuid, query (), body () => Application;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<Register>();
        v.visit::<Beat>();
        v.visit::<List>();
        v.visit::<Update>();
        v.visit::<Remove>();
        v.visit::<LicenseServer>();
        v.visit::<UnlicenseServer>();
        v.visit::<LicenseApplication>();
        v.visit::<UnlicenseApplication>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_section_7() {
        let s = AgentSettings::default();
        assert_eq!(s.log_level, LogLevel::Error);
        assert_eq!(s.stacktraces, Stacktraces::All);
        assert_eq!(
            (s.sampling.baseline, s.sampling.frequency, s.sampling.window_seconds),
            (5, 10, 180)
        );
        assert_eq!(
            (s.syslog.port, s.syslog.protocol, s.syslog.facility),
            (514, SyslogProtocol::Udp, 19)
        );
        assert_eq!(s.syslog.severities.exploited, SyslogSeverity::Alert);
        assert_eq!(s.syslog.severities.blocked, SyslogSeverity::Warning);
        assert_eq!(s.syslog.severities.probed, SyslogSeverity::Notice);
        assert_eq!(s.cleanup.after_days, 30);
        assert!(s.validate().is_ok());
        assert_eq!(ServerSettings::default().default_environment, Environment::Development);
        // A document missing fields reads as the defaults of those fields.
        let partial: AgentSettings =
            serde_json::from_str(r#"{"log_level": "debug", "syslog": {"port": 601}}"#).unwrap();
        assert_eq!(partial.log_level, LogLevel::Debug);
        assert_eq!((partial.syslog.port, partial.syslog.facility), (601, 19));
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let mut s = AgentSettings::default();
        s.sampling.baseline = 0;
        s.sampling.window_seconds = 100_000;
        s.syslog.enabled = true;
        s.syslog.port = 0;
        s.syslog.facility = 24;
        s.cleanup.after_days = 0;
        let fields: Vec<String> = s.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "sampling.baseline",
                "sampling.window_seconds",
                "syslog.host",
                "syslog.port",
                "syslog.facility",
                "cleanup.after_days"
            ]
        );
        s = AgentSettings::default();
        s.syslog.host = "bad host!".into();
        assert_eq!(s.validate().unwrap_err()[0].field, "syslog.host");
        s.syslog.host = "10.0.0.5".into();
        assert!(s.validate().is_ok());
        s.syslog.host = "logs.example.com".into();
        assert!(s.validate().is_ok());
    }

    #[test]
    fn effective_settings_say_which_values_the_organization_changed() {
        let s = AgentSettings {
            log_level: LogLevel::Debug,
            sampling: Sampling {
                baseline: 7,
                ..Sampling::default()
            },
            ..AgentSettings::default()
        };
        let eff = effective(&s);
        let origin = |f: &str| eff.iter().find(|e| e.field == f).unwrap().origin;
        assert_eq!(origin("log_level"), SettingOrigin::EnvironmentDefaults);
        assert_eq!(origin("sampling.baseline"), SettingOrigin::EnvironmentDefaults);
        assert_eq!(origin("sampling.frequency"), SettingOrigin::ProductDefault);
        assert_eq!(origin("syslog.severities.exploited"), SettingOrigin::ProductDefault);
        assert_eq!(eff.iter().find(|e| e.field == "log_level").unwrap().value, "debug");
        // Every leaf once.
        assert_eq!(eff.len(), 1 + 1 + 1 + 4 + 1 + 1 + 8 + 2);
    }

    #[test]
    fn a_server_is_offline_after_15_silent_minutes() {
        let t: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let later = |m: i64| t.checked_add(jiff::SignedDuration::from_mins(m)).unwrap();
        assert_eq!(ServerStatus::at(t, later(15)), ServerStatus::Online);
        assert_eq!(
            ServerStatus::at(t, later(15).checked_add(jiff::SignedDuration::from_secs(1)).unwrap()),
            ServerStatus::Offline
        );
    }

    #[test]
    fn registration_names_each_bad_field() {
        let r = RegisterAgent {
            name: " ".into(),
            hostname: "no spaces allowed".into(),
            environment: None,
            language: "java".into(),
            agent_version: String::new(),
        };
        let fields: Vec<String> = r.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "hostname", "agent_version"]);
        let host: RegisterAgent = serde_json::from_str(
            r#"{"name": "web-1", "host": "web-1.example.com", "language": "java", "agent_version": "4.2.0"}"#,
        )
        .unwrap();
        assert!(host.validate().is_ok());
    }
}
