//! Integrations (SETTINGS.md section 6): bug trackers a vulnerability can be sent to (JIRA, Bugzilla,
//! Serena), and channels events are delivered to (Slack, HipChat, a generic webhook, Teams, Google Chat,
//! Mattermost). Each kind has its own non-secret settings ([`IntegrationSettings`]) and its own secret
//! fields ([`IntegrationKind::secret_fields`]): secrets are write-only, sent in `secrets` and answered only
//! as set or not. Where the URL itself is the secret (Slack, Teams, Google Chat, Mattermost), it is a
//! secret field and lists show only its host.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{FieldError, auth::Secret};

/// Longest integration name.
pub const NAME_MAX: usize = 100;
/// Longest URL.
pub const URL_MAX: usize = 2048;
/// Longest webhook payload template.
pub const TEMPLATE_MAX: usize = 16 * 1024;
/// Longest secret value.
pub const SECRET_MAX: usize = 4096;
/// Longest of the other text fields (project key, product, room...).
pub const FIELD_MAX: usize = 255;

/// The kinds of integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    Jira,
    Bugzilla,
    Serena,
    Slack,
    Hipchat,
    Webhook,
    Teams,
    GoogleChat,
    Mattermost,
}

impl IntegrationKind {
    pub const ALL: [IntegrationKind; 9] = [
        IntegrationKind::Jira,
        IntegrationKind::Bugzilla,
        IntegrationKind::Serena,
        IntegrationKind::Slack,
        IntegrationKind::Hipchat,
        IntegrationKind::Webhook,
        IntegrationKind::Teams,
        IntegrationKind::GoogleChat,
        IntegrationKind::Mattermost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::Jira => "jira",
            IntegrationKind::Bugzilla => "bugzilla",
            IntegrationKind::Serena => "serena",
            IntegrationKind::Slack => "slack",
            IntegrationKind::Hipchat => "hipchat",
            IntegrationKind::Webhook => "webhook",
            IntegrationKind::Teams => "teams",
            IntegrationKind::GoogleChat => "google_chat",
            IntegrationKind::Mattermost => "mattermost",
        }
    }

    /// As people name it.
    pub fn label(self) -> &'static str {
        match self {
            IntegrationKind::Jira => "JIRA",
            IntegrationKind::Bugzilla => "Bugzilla",
            IntegrationKind::Serena => "Serena (legacy)",
            IntegrationKind::Slack => "Slack",
            IntegrationKind::Hipchat => "HipChat (legacy)",
            IntegrationKind::Webhook => "Webhook",
            IntegrationKind::Teams => "Microsoft Teams",
            IntegrationKind::GoogleChat => "Google Chat",
            IntegrationKind::Mattermost => "Mattermost",
        }
    }

    /// Kept for organizations that still use them: HipChat's cloud service ended in 2019 (self-hosted
    /// servers only), Serena speaks SOAP only.
    pub fn legacy(self) -> bool {
        matches!(self, IntegrationKind::Serena | IntegrationKind::Hipchat)
    }

    /// A bug tracker (a vulnerability can be sent to it as an issue), rather than a channel.
    pub fn tracker(self) -> bool {
        matches!(
            self,
            IntegrationKind::Jira | IntegrationKind::Bugzilla | IntegrationKind::Serena
        )
    }

    /// The kind's write-only fields, by wire name. The first is required when the integration is made
    /// (the webhook's signing secret is made by the server, never sent).
    pub fn secret_fields(self) -> &'static [&'static str] {
        match self {
            IntegrationKind::Jira => &["token"],
            IntegrationKind::Bugzilla => &["api_key"],
            IntegrationKind::Serena => &["password"],
            IntegrationKind::Hipchat => &["token"],
            IntegrationKind::Slack
            | IntegrationKind::Teams
            | IntegrationKind::GoogleChat
            | IntegrationKind::Mattermost => &["url"],
            IntegrationKind::Webhook => &["signing_secret"],
        }
    }

    /// The secret fields a client sends (the webhook's signing secret is the server's to make).
    pub fn sent_secrets(self) -> &'static [&'static str] {
        match self {
            IntegrationKind::Webhook => &[],
            other => other.secret_fields(),
        }
    }

    /// Its settings with every field empty or at its default, for a new form.
    pub fn blank(self) -> IntegrationSettings {
        match self {
            IntegrationKind::Jira => IntegrationSettings::Jira(JiraSettings::default()),
            IntegrationKind::Bugzilla => IntegrationSettings::Bugzilla(BugzillaSettings::default()),
            IntegrationKind::Serena => IntegrationSettings::Serena(SerenaSettings::default()),
            IntegrationKind::Slack => IntegrationSettings::Slack,
            IntegrationKind::Hipchat => IntegrationSettings::Hipchat(HipchatSettings::default()),
            IntegrationKind::Webhook => IntegrationSettings::Webhook(WebhookSettings::default()),
            IntegrationKind::Teams => IntegrationSettings::Teams,
            IntegrationKind::GoogleChat => IntegrationSettings::GoogleChat,
            IntegrationKind::Mattermost => IntegrationSettings::Mattermost,
        }
    }
}

/// JIRA Cloud or Data Center (Test detects it from `serverInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JiraDeployment {
    Cloud,
    DataCenter,
}

/// How JIRA is authenticated: `basic` (the user's email and an API token: Cloud) or `pat` (a personal
/// access token as a bearer token: Data Center; refused on `*.atlassian.net`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JiraAuth {
    #[default]
    Basic,
    Pat,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JiraSettings {
    pub url: String,
    /// Detected by Test; `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<JiraDeployment>,
    #[serde(default)]
    pub auth: JiraAuth,
    /// The account's email, for `basic`.
    #[serde(default)]
    pub user: String,
    pub project_key: String,
    #[serde(default = "default_issue_type")]
    pub issue_type: String,
}

fn default_issue_type() -> String {
    "Bug".into()
}

impl Default for JiraSettings {
    fn default() -> Self {
        JiraSettings {
            url: String::new(),
            deployment: None,
            auth: JiraAuth::Basic,
            user: String::new(),
            project_key: String::new(),
            issue_type: default_issue_type(),
        }
    }
}

/// How a Bugzilla server wants the API key: the `X-BUGZILLA-API-KEY` header (6.x, bugzilla.mozilla.org)
/// or the `api_key` parameter (5.0, 5.2). Test detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BugzillaAuthStyle {
    Header,
    Parameter,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BugzillaSettings {
    pub url: String,
    pub product: String,
    pub component: String,
    #[serde(default = "default_bugzilla_version")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub op_sys: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platform: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity: String,
    /// Detected by Test; `None` until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_style: Option<BugzillaAuthStyle>,
}

fn default_bugzilla_version() -> String {
    "unspecified".into()
}

impl Default for BugzillaSettings {
    fn default() -> Self {
        BugzillaSettings {
            url: String::new(),
            product: String::new(),
            component: String::new(),
            version: default_bugzilla_version(),
            op_sys: String::new(),
            platform: String::new(),
            priority: String::new(),
            severity: String::new(),
            auth_style: None,
        }
    }
}

/// Serena Business Manager (legacy, SOAP `sbmappservices72`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct SerenaSettings {
    pub url: String,
    pub user: String,
    pub project_id: String,
}

/// A self-hosted HipChat Server or Data Center (legacy).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct HipchatSettings {
    pub server_url: String,
    pub room: String,
}

/// A generic webhook, signed per Standard Webhooks 1.0 when it has a signing secret.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct WebhookSettings {
    pub url: String,
    /// With `$Title`, `$Message`, `$EventType`, `$Severity`, `$ApplicationName`; values JSON-escaped in a
    /// JSON template (which must stay valid JSON), URL-encoded otherwise. `None`: the standard payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_template: Option<String>,
}

/// An integration's settings other than its secrets, by kind (`"type"` on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IntegrationSettings {
    Jira(JiraSettings),
    Bugzilla(BugzillaSettings),
    Serena(SerenaSettings),
    /// The incoming-webhook URL is the secret `url`.
    Slack,
    Hipchat(HipchatSettings),
    Webhook(WebhookSettings),
    /// The Workflows webhook URL is the secret `url`.
    Teams,
    /// The space's webhook URL is the secret `url`.
    GoogleChat,
    /// The incoming-webhook URL is the secret `url`.
    Mattermost,
}

impl IntegrationSettings {
    pub fn kind(&self) -> IntegrationKind {
        match self {
            IntegrationSettings::Jira(_) => IntegrationKind::Jira,
            IntegrationSettings::Bugzilla(_) => IntegrationKind::Bugzilla,
            IntegrationSettings::Serena(_) => IntegrationKind::Serena,
            IntegrationSettings::Slack => IntegrationKind::Slack,
            IntegrationSettings::Hipchat(_) => IntegrationKind::Hipchat,
            IntegrationSettings::Webhook(_) => IntegrationKind::Webhook,
            IntegrationSettings::Teams => IntegrationKind::Teams,
            IntegrationSettings::GoogleChat => IntegrationKind::GoogleChat,
            IntegrationSettings::Mattermost => IntegrationKind::Mattermost,
        }
    }

    /// The URL in the settings (the channels' URL is a secret instead).
    pub fn url(&self) -> Option<&str> {
        match self {
            IntegrationSettings::Jira(s) => Some(&s.url),
            IntegrationSettings::Bugzilla(s) => Some(&s.url),
            IntegrationSettings::Serena(s) => Some(&s.url),
            IntegrationSettings::Hipchat(s) => Some(&s.server_url),
            IntegrationSettings::Webhook(s) => Some(&s.url),
            _ => None,
        }
    }

    /// Every rule that needs nothing but the settings, each broken one naming its field
    /// (`settings.project_key`).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut need = |field: &str, value: &str| {
            if value.trim().is_empty() {
                errors.push(FieldError::new(format!("settings.{field}"), "is required"));
            } else if value.chars().count() > FIELD_MAX {
                errors.push(FieldError::new(
                    format!("settings.{field}"),
                    format!("must be at most {FIELD_MAX} characters"),
                ));
            }
        };
        match self {
            IntegrationSettings::Jira(s) => {
                need("user", if s.auth == JiraAuth::Basic { &s.user } else { "-" });
                need("project_key", &s.project_key);
                need("issue_type", &s.issue_type);
            }
            IntegrationSettings::Bugzilla(s) => {
                need("product", &s.product);
                need("component", &s.component);
                need("version", &s.version);
            }
            IntegrationSettings::Serena(s) => {
                need("user", &s.user);
                need("project_id", &s.project_id);
            }
            IntegrationSettings::Hipchat(s) => need("room", &s.room),
            _ => {}
        }
        if let IntegrationSettings::Jira(s) = self {
            if !s.project_key.is_empty() && !is_project_key(&s.project_key) {
                errors.push(FieldError::new(
                    "settings.project_key",
                    "must be a JIRA project key: a capital letter, then capitals, digits or _ (SEC, APP_2)",
                ));
            }
            if s.auth == JiraAuth::Basic && !s.user.is_empty() && !s.user.contains('@') {
                errors.push(FieldError::new(
                    "settings.user",
                    "must be the email of the JIRA account the API token belongs to",
                ));
            }
            if s.auth == JiraAuth::Pat && host_of(&s.url).is_some_and(|h| h.ends_with(".atlassian.net")) {
                errors.push(FieldError::new(
                    "settings.auth",
                    "JIRA Cloud (*.atlassian.net) takes an email and API token (basic), not a personal access token",
                ));
            }
        }
        if let Some(url) = self.url() {
            let field = match self {
                IntegrationSettings::Hipchat(_) => "settings.server_url",
                _ => "settings.url",
            };
            errors.extend(check_url(field, url).err());
        }
        if let IntegrationSettings::Webhook(WebhookSettings {
            payload_template: Some(t),
            ..
        }) = self
            && t.chars().count() > TEMPLATE_MAX
        {
            errors.push(FieldError::new(
                "settings.payload_template",
                format!("must be at most {TEMPLATE_MAX} characters"),
            ));
        }
        errors
    }
}

/// `SEC`, `APP_2`: JIRA's default project key pattern.
fn is_project_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= FIELD_MAX
}

/// The host of an `http(s)://` URL, lower-cased.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// An `http://` or `https://` URL with a host, no credentials in it, no spaces, at most [`URL_MAX`]. The
/// server checks where it resolves (no private or metadata addresses) when it is saved and before each
/// request.
pub fn check_url(field: &str, url: &str) -> Result<(), FieldError> {
    let problem = if url.trim().is_empty() {
        Some("is required")
    } else if url.len() > URL_MAX {
        Some("is too long (at most 2048 characters)")
    } else if !(url.starts_with("https://") || url.starts_with("http://")) {
        Some("must start with https:// (or http://)")
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must not contain spaces")
    } else if host_of(url).is_none() {
        Some("must name a host")
    } else if url
        .split("://")
        .nth(1)
        .and_then(|r| r.split(['/', '?', '#']).next())
        .is_some_and(|a| a.contains('@'))
    {
        Some("must not carry a user or password (use the credential fields)")
    } else {
        None
    };
    match problem {
        Some(p) => Err(FieldError::new(field, p)),
        None => Ok(()),
    }
}

/// Which applications an integration hears of.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "scope", content = "ids")]
pub enum Applications {
    #[default]
    All,
    Only(Vec<Uuid>),
}

/// Whether it works, or why it was switched off.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum IntegrationStatus {
    #[default]
    Active,
    /// Switched off by an admin.
    Off,
    /// Switched off by the server after failed deliveries; enabled again only after a successful Test.
    Disabled {
        reason: String,
        #[schemars(with = "crate::schema::Timestamp")]
        at: Timestamp,
    },
}

/// An integration as the API answers it: secrets only as set or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Integration {
    pub id: Uuid,
    pub name: String,
    pub kind: IntegrationKind,
    pub enabled: bool,
    pub applications: Applications,
    pub settings: IntegrationSettings,
    /// Each secret field of the kind, and whether it is set.
    pub secrets: BTreeMap<String, bool>,
    /// Where requests go (the host), also when the URL is a secret.
    pub target: String,
    pub status: IntegrationStatus,
    /// Deliveries failed in a row (5 disable it).
    pub failures: u32,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    #[schemars(with = "crate::schema::Timestamp")]
    pub updated_at: Timestamp,
    pub version: i64,
}

impl crate::endpoint::HasVersion for Integration {
    fn version(&self) -> i64 {
        self.version
    }
}

/// `POST integrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NewIntegration {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub applications: Applications,
    pub settings: IntegrationSettings,
    /// The kind's secret fields ([`IntegrationKind::sent_secrets`]), by wire name.
    #[serde(default)]
    pub secrets: BTreeMap<String, Secret>,
    /// Webhooks: make a signing secret (answered once).
    #[serde(default)]
    pub sign: bool,
}

fn yes() -> bool {
    true
}

impl NewIntegration {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = check_name(&self.name).err().into_iter().collect::<Vec<_>>();
        errors.extend(self.settings.validate());
        let kind = self.settings.kind();
        errors.extend(check_secrets(kind, self.secrets.iter().map(|(k, v)| (k, Some(v)))));
        for field in kind.sent_secrets() {
            if !self.secrets.contains_key(*field) {
                errors.push(FieldError::new(format!("secrets.{field}"), "is required"));
            }
        }
        if self.sign && kind != IntegrationKind::Webhook {
            errors.push(FieldError::new("sign", "only webhooks are signed"));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// `PATCH integrations/{id}`: what changes. A secret sent replaces the stored one; secrets not sent stay.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct IntegrationPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications: Option<Applications>,
    /// The same kind's settings (the kind never changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<IntegrationSettings>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Secret>,
}

impl IntegrationPatch {
    /// The rules that need only the patch and the integration's kind.
    pub fn validate(&self, kind: IntegrationKind) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            errors.extend(check_name(name).err());
        }
        if let Some(settings) = &self.settings {
            if settings.kind() != kind {
                errors.push(FieldError::new(
                    "settings.type",
                    format!("must stay {} (make a new integration for another kind)", kind.as_str()),
                ));
            } else {
                errors.extend(settings.validate());
            }
        }
        errors.extend(check_secrets(kind, self.secrets.iter().map(|(k, v)| (k, Some(v)))));
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

fn check_name(name: &str) -> Result<(), FieldError> {
    let n = name.trim().chars().count();
    if n == 0 {
        Err(FieldError::new("name", "is required"))
    } else if n > NAME_MAX {
        Err(FieldError::new(
            "name",
            format!("must be at most {NAME_MAX} characters"),
        ))
    } else if name.chars().any(char::is_control) {
        Err(FieldError::new("name", "must not contain control characters"))
    } else {
        Ok(())
    }
}

/// Secrets sent must be the kind's, not empty, and a secret URL must be a URL.
fn check_secrets<'a>(
    kind: IntegrationKind,
    secrets: impl Iterator<Item = (&'a String, Option<&'a Secret>)>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, value) in secrets {
        let field = format!("secrets.{name}");
        if !kind.sent_secrets().contains(&name.as_str()) {
            let known = kind.sent_secrets().join(", ");
            let msg = if known.is_empty() {
                format!("{} takes no secrets here", kind.label())
            } else {
                format!("is not a secret of {} (it takes: {known})", kind.label())
            };
            errors.push(FieldError::new(field, msg));
            continue;
        }
        let Some(value) = value else { continue };
        let v = value.expose();
        if v.trim().is_empty() {
            errors.push(FieldError::new(field, "must not be empty"));
        } else if v.len() > SECRET_MAX {
            errors.push(FieldError::new(field, format!("must be at most {SECRET_MAX} bytes")));
        } else if name == "url"
            && let Err(e) = check_url(&field, v)
        {
            // The message only: the value is a secret and is never echoed.
            errors.push(e);
        }
    }
    errors
}

/// `POST integrations` answer: the integration, and a webhook's new signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IntegrationCreated {
    pub integration: Integration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<Secret>,
}

/// `POST integrations/{id}/signing_secret` answer: a webhook's new signing secret (`whsec_...`), shown this
/// once; the old one stops at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NewSigningSecret {
    pub signing_secret: Secret,
}

/// `POST integrations/{id}/test` answer: what the real call to the service said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestOutcome {
    pub ok: bool,
    /// The remote HTTP status of the last call made, when one was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What happened, for a person: the remote's message, or why the call was refused here.
    pub message: String,
    /// What Test found out and stored (`deployment: cloud`, `auth_style: header`, `server_version: 5.2`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detected: BTreeMap<String, String>,
}

// ---- delivery log ----

/// Where a delivery to a channel stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt.
    Pending,
    /// An attempt failed; another is scheduled (`next_attempt_at`).
    Retrying,
    /// A 2xx answer (Slack: 200 with the body `ok`).
    Delivered,
    /// Its attempts are exhausted, the destination is gone (410, Slack `no_service`), or the integration
    /// was switched off or disabled before it went out.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Retrying,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Still to be sent (by the schedule or a redelivery).
    pub fn open(self) -> bool {
        matches!(self, DeliveryStatus::Pending | DeliveryStatus::Retrying)
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryAttempt {
    #[schemars(with = "crate::schema::Timestamp")]
    pub at: Timestamp,
    pub duration_ms: u32,
    /// The remote HTTP status, when one answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The start of the remote's answer (secrets cut out), or why no answer came (a timeout, a refused
    /// address, a connection error).
    pub message: String,
}

/// The most attempts a delivery's log keeps (the oldest are dropped first).
pub const DELIVERY_ATTEMPTS_KEPT: usize = 20;

/// One event delivered (or being delivered) to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub integration_id: Uuid,
    /// The `webhook-id` of every attempt (a redelivery keeps it, so receivers can drop duplicates).
    pub message_id: String,
    pub event_type: crate::notifications::EventType,
    /// The event in one line.
    pub title: String,
    pub status: DeliveryStatus,
    /// Oldest first (at most [`DELIVERY_ATTEMPTS_KEPT`]).
    pub attempts: Vec<DeliveryAttempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub next_attempt_at: Option<Timestamp>,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
}

/// `GET integrations/{id}/deliveries?cursor=&limit=`: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryQuery {
    /// The `next_cursor` of the previous page (the last id it held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The largest page of `GET integrations/{id}/deliveries?limit=` (the default is 50).
pub const DELIVERY_PAGE_MAX: u32 = 200;
/// The page when no `limit` is given.
pub const DELIVERY_PAGE_DEFAULT: u32 = 50;

// ---- issues in bug trackers ----

/// `POST integrations/{id}/issues`: which vulnerability to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NewTrackerIssue {
    pub vulnerability_id: Uuid,
}

/// An issue made in a bug tracker for a vulnerability (kept with the vulnerability).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrackerIssue {
    pub integration_id: Uuid,
    pub kind: IntegrationKind,
    /// The remote key or id (`SEC-42` in JIRA, `1234` in Bugzilla).
    pub key: String,
    /// Where a person opens it.
    pub url: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
}

pub mod endpoints {
    use uuid::Uuid;

    use super::*;
    use crate::routes::*;

    crate::endpoints! {
        /// Every integration of the organization.
        List: Get INTEGRATIONS, Admin, params (), query (), body () => Vec<Integration>;
        /// A new integration (a webhook's signing secret, when asked for, is answered this once).
        Create: Post INTEGRATIONS, Admin, params (), query (), body NewIntegration => IntegrationCreated, status 201;
        /// One integration.
        Get: Get INTEGRATION, Admin, params Uuid, query (), body () => Integration, etag true;
        /// Changes an integration; a secret sent replaces the stored one.
        Update: Patch INTEGRATION, Admin, params Uuid, query (), body IntegrationPatch => Integration, if_match Required, etag true;
        /// Removes an integration and its delivery log.
        Delete: Delete INTEGRATION, Admin, params Uuid, query (), body () => (), status 204, if_match Optional;
        /// The real call to the service (bug trackers: who am I and the project; channels: a test message).
        Test: Post INTEGRATION_TEST, Admin, params Uuid, query (), body () => TestOutcome, body_required false;
        /// A webhook's new signing secret, shown once.
        SigningSecret: Post INTEGRATION_SIGNING_SECRET, Admin, params Uuid, query (), body () => NewSigningSecret, body_required false;
        /// The delivery log of a channel, newest first (the last 3 days, at least the last 1,000).
        Deliveries: Get INTEGRATION_DELIVERIES, Admin, params Uuid, query DeliveryQuery, body () => crate::Page<Delivery>;
        /// Sends a delivery again with the same `webhook-id`: an attempt now, then the usual schedule.
        Redeliver: Post INTEGRATION_REDELIVER, Admin, params (Uuid, Uuid), query (), body () => Delivery, status 202, body_required false;
        /// Makes an issue for a vulnerability in a bug tracker (JIRA, Bugzilla) and keeps its key.
        CreateIssue: Post INTEGRATION_ISSUES, Admin, params Uuid, query (), body NewTrackerIssue => TrackerIssue, status 201;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<List>();
        v.visit::<Create>();
        v.visit::<Get>();
        v.visit::<Update>();
        v.visit::<Delete>();
        v.visit::<Test>();
        v.visit::<SigningSecret>();
        v.visit::<Deliveries>();
        v.visit::<Redeliver>();
        v.visit::<CreateIssue>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jira(url: &str, auth: JiraAuth) -> IntegrationSettings {
        IntegrationSettings::Jira(JiraSettings {
            url: url.into(),
            auth,
            user: "sec@acme.test".into(),
            project_key: "SEC".into(),
            ..Default::default()
        })
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn settings_round_trip_with_their_type_on_the_wire() {
        for kind in IntegrationKind::ALL {
            let s = kind.blank();
            assert_eq!(s.kind(), kind);
            let json = serde_json::to_value(&s).unwrap();
            assert_eq!(json["type"], kind.as_str());
            assert_eq!(serde_json::from_value::<IntegrationSettings>(json).unwrap(), s);
        }
    }

    #[test]
    fn a_personal_access_token_is_refused_on_jira_cloud_and_a_project_key_must_look_like_one() {
        assert!(
            jira("https://acme.atlassian.net", JiraAuth::Basic)
                .validate()
                .is_empty()
        );
        let e = jira("https://acme.atlassian.net/", JiraAuth::Pat).validate();
        assert_eq!(fields(&e), ["settings.auth"]);
        assert!(jira("https://jira.acme.test", JiraAuth::Pat).validate().is_empty());
        let mut s = JiraSettings {
            url: "https://jira.acme.test".into(),
            user: "sec@acme.test".into(),
            project_key: "sec-1".into(),
            ..Default::default()
        };
        assert_eq!(
            fields(&IntegrationSettings::Jira(s.clone()).validate()),
            ["settings.project_key"]
        );
        s.project_key = "APP_2".into();
        assert!(IntegrationSettings::Jira(s).validate().is_empty());
    }

    #[test]
    fn urls_need_a_scheme_a_host_and_no_credentials() {
        for (url, ok) in [
            ("https://hooks.slack.com/services/T/B/x", true),
            ("http://10.0.0.5:8080/hook", true), // where it resolves is the server's check
            ("ftp://x.test", false),
            ("https://", false),
            ("https://user:pw@x.test/", false),
            ("https://x.test/a b", false),
            ("", false),
        ] {
            assert_eq!(check_url("url", url).is_ok(), ok, "{url}");
        }
        assert_eq!(host_of("https://[::1]:8443/x").as_deref(), Some("::1"));
        assert_eq!(host_of("https://Hooks.Slack.com/x").as_deref(), Some("hooks.slack.com"));
    }

    #[test]
    fn a_new_integration_needs_its_kinds_secrets_and_no_others_and_never_echoes_them() {
        let mut new = NewIntegration {
            name: "Security channel".into(),
            enabled: true,
            applications: Applications::All,
            settings: IntegrationSettings::Slack,
            secrets: BTreeMap::new(),
            sign: false,
        };
        assert_eq!(fields(&new.validate().unwrap_err()), ["secrets.url"]);
        new.secrets
            .insert("url".into(), Secret::new("not a url with-secret-token"));
        let e = new.validate().unwrap_err();
        assert_eq!(fields(&e), ["secrets.url"]);
        assert!(!e[0].message.contains("secret-token"), "{e:?}");
        new.secrets
            .insert("url".into(), Secret::new("https://hooks.slack.com/services/T/B/x"));
        new.secrets.insert("token".into(), Secret::new("x"));
        assert_eq!(fields(&new.validate().unwrap_err()), ["secrets.token"]);
        new.secrets.remove("token");
        assert!(new.validate().is_ok());
        new.sign = true;
        assert_eq!(fields(&new.validate().unwrap_err()), ["sign"]);
    }

    #[test]
    fn a_patch_keeps_the_kind() {
        let patch = IntegrationPatch {
            settings: Some(IntegrationSettings::Teams),
            ..Default::default()
        };
        assert_eq!(
            fields(&patch.validate(IntegrationKind::Slack).unwrap_err()),
            ["settings.type"]
        );
        assert!(patch.validate(IntegrationKind::Teams).is_ok());
    }
}
