//! Agents: the organization key, admins' named agent keys, and what agents report with them.
//!
//! Agent keys have the shape of personal API keys ([`crate::api_keys`]: `od_` + 32 base62 characters + a
//! checksum, only a hash and a display prefix stored, shown once, rotated with a grace period) but
//! authenticate only the agent routes (`agent/*`) of their organization: an agent key leaked from an
//! application server can report findings, never read or change the organization. A named key may be
//! limited to one environment, so a development server's key cannot report as production.
//!
//! `POST agent/events` takes a batch of up to [`MAX_EVENTS`] events, all or nothing (as a CSV import is):
//! every event is checked first and one bad event refuses the batch with 422 naming `events[i].field`.
//! Each event carries an id the agent chose, so a report retried after a lost answer is stored once: an
//! id seen before with the same event answers `already_stored` with what was stored then, and with a
//! different event refuses the batch with 409.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    FieldError,
    auth::Secret,
    general::Environment,
    validate::{check_characters, check_list_len, validate_display_name},
    vulnerabilities::Severity,
};

/// Named agent keys an organization may hold (the list is answered whole).
pub const MAX_AGENT_KEYS: usize = 500;
/// The longest name of an agent key or an application.
pub const NAME_MAX: usize = 100;
/// Events one `POST agent/events` may carry.
pub const MAX_EVENTS: usize = 100;
/// The longest event id an agent may choose.
pub const EVENT_ID_MAX: usize = 100;

/// An agent key as lists show it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentKeyInfo {
    pub id: Uuid,
    pub name: String,
    /// The one environment this key reports for; none: any.
    pub environment: Option<Environment>,
    /// The first characters of the current key (`od_AbC123`), to tell keys apart.
    pub prefix: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    /// When the current key was made (creation or the last rotation).
    #[schemars(with = "crate::schema::Timestamp")]
    pub rotated_at: Timestamp,
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub last_used_at: Option<Timestamp>,
    /// A rotation's grace period: the key it replaced keeps working until then.
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub previous_valid_until: Option<Timestamp>,
}

/// An agent key just made or rotated: the only time the server shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewAgentKey {
    pub info: AgentKeyInfo,
    pub key: Secret,
}

/// `POST agent_keys`: a named key, optionally limited to one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateAgentKey {
    /// Unique in the organization (letter case aside).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
}

impl CreateAgentKey {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        validate_display_name("name", &self.name, NAME_MAX).map_err(|e| vec![e])
    }
}

/// The organization key as `GET org_key` shows it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrgKeyInfo {
    pub prefix: String,
    /// Whether the current key was ever shown. The key made with the organization is not (nobody is
    /// there to receive it): until a rotation hands one out, no agent can hold it.
    pub issued: bool,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    #[schemars(with = "crate::schema::Timestamp")]
    pub rotated_at: Timestamp,
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub last_used_at: Option<Timestamp>,
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub previous_valid_until: Option<Timestamp>,
}

/// The organization key just rotated: the only time the server shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewOrgKey {
    pub info: OrgKeyInfo,
    pub key: Secret,
}

// ---- events ----

/// The kinds of event an agent reports (SETTINGS.md section 8; the others are raised by the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentEventType {
    NewVulnerability,
    ApplicationAttacked,
    VulnerableLibrary,
    NewAsset,
    NewComment,
}

impl AgentEventType {
    pub const ALL: [AgentEventType; 5] = [
        AgentEventType::NewVulnerability,
        AgentEventType::ApplicationAttacked,
        AgentEventType::VulnerableLibrary,
        AgentEventType::NewAsset,
        AgentEventType::NewComment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgentEventType::NewVulnerability => "new_vulnerability",
            AgentEventType::ApplicationAttacked => "application_attacked",
            AgentEventType::VulnerableLibrary => "vulnerable_library",
            AgentEventType::NewAsset => "new_asset",
            AgentEventType::NewComment => "new_comment",
        }
    }

    pub fn parse(s: &str) -> Option<AgentEventType> {
        AgentEventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Every kind an agent reports is one of the notifications' event types (which add the server's own).
impl From<AgentEventType> for crate::notifications::EventType {
    fn from(t: AgentEventType) -> Self {
        use crate::notifications::EventType;
        match t {
            AgentEventType::NewVulnerability => EventType::NewVulnerability,
            AgentEventType::ApplicationAttacked => EventType::ApplicationAttacked,
            AgentEventType::VulnerableLibrary => EventType::VulnerableLibrary,
            AgentEventType::NewAsset => EventType::NewAsset,
            AgentEventType::NewComment => EventType::NewComment,
        }
    }
}

impl std::fmt::Display for AgentEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event an agent reports: its own id (a retry sends the same), when it happened, and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentEvent {
    /// Chosen by the agent, unique in the organization: 1 to 100 of `A-Z a-z 0-9 . _ : -`.
    pub id: String,
    /// When it happened, if the agent knows (otherwise when it was received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub occurred_at: Option<Timestamp>,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened, by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    NewVulnerability(NewVulnerability),
    ApplicationAttacked(ApplicationAttacked),
    VulnerableLibrary(VulnerableLibrary),
    NewAsset(NewAsset),
    NewComment(NewComment),
}

/// A vulnerability found in an application: stored as a vulnerability of that application (made when
/// the platform has not seen it yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewVulnerability {
    /// The application's name.
    pub application: String,
    /// The application's main language, kept when the application is new (`java`, `node`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub title: String,
    pub severity: Severity,
    /// The rule that found it (`sql-injection`).
    pub rule: String,
    /// Where in the application (`POST /login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What became of an attack (the outcomes syslog reports, SETTINGS.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttackOutcome {
    Exploited,
    Blocked,
    Probed,
    Suspicious,
}

impl AttackOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttackOutcome::Exploited => "exploited",
            AttackOutcome::Blocked => "blocked",
            AttackOutcome::Probed => "probed",
            AttackOutcome::Suspicious => "suspicious",
        }
    }
}

/// An attack on an application, seen by its agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApplicationAttacked {
    pub application: String,
    /// The rule the attack tried to exploit (`sql-injection`).
    pub rule: String,
    pub outcome: AttackOutcome,
    /// Where the attack came from.
    pub source_ip: IpAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

/// A library in use with known vulnerabilities (what the library score is made of).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VulnerableLibrary {
    pub application: String,
    /// The library's name as its ecosystem spells it (`org.apache.logging.log4j:log4j-core`).
    pub library: String,
    /// The version in use.
    pub version: String,
    /// The newest release, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    /// Its CVEs (`CVE-2021-44228`), at least one.
    pub cves: Vec<String>,
    /// The highest CVSS base score of those CVEs (0 to 10), which sets the event's severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    /// When the version in use was released (the library score counts the years behind the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Date>")]
    pub released_on: Option<jiff::civil::Date>,
    /// When the latest version was released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Date>")]
    pub latest_released_on: Option<jiff::civil::Date>,
    /// Versions released after the one in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions_behind: Option<u32>,
}

/// What kind of asset an agent discovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// A new application (`name` absent: the asset is `application` itself).
    Application,
    /// A route of the application (`name`: `GET /orders/{id}`).
    Route,
    /// A library the application loads (`name`: the library).
    Library,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Application => "application",
            AssetKind::Route => "route",
            AssetKind::Library => "library",
        }
    }
}

/// An asset seen for the first time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewAsset {
    pub application: String,
    pub asset: AssetKind,
    /// The route or library; absent for an application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The application's main language, kept when the application is new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A comment on a vulnerability reported earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewComment {
    pub application: String,
    /// The id of the `new_vulnerability` event that reported the vulnerability (in this batch or before).
    pub vulnerability: String,
    /// Who wrote it.
    pub author: String,
    pub text: String,
}

impl EventBody {
    pub fn event_type(&self) -> AgentEventType {
        match self {
            EventBody::NewVulnerability(_) => AgentEventType::NewVulnerability,
            EventBody::ApplicationAttacked(_) => AgentEventType::ApplicationAttacked,
            EventBody::VulnerableLibrary(_) => AgentEventType::VulnerableLibrary,
            EventBody::NewAsset(_) => AgentEventType::NewAsset,
            EventBody::NewComment(_) => AgentEventType::NewComment,
        }
    }

    /// The application the event is about (every agent event is about one).
    pub fn application(&self) -> &str {
        match self {
            EventBody::NewVulnerability(e) => &e.application,
            EventBody::ApplicationAttacked(e) => &e.application,
            EventBody::VulnerableLibrary(e) => &e.application,
            EventBody::NewAsset(e) => &e.application,
            EventBody::NewComment(e) => &e.application,
        }
    }

    /// The application's language, when the event says it.
    pub fn language(&self) -> Option<&str> {
        match self {
            EventBody::NewVulnerability(e) => e.language.as_deref(),
            EventBody::NewAsset(e) => e.language.as_deref(),
            _ => None,
        }
    }

    /// The severity notifications filter on: a vulnerability's, or a library's worst CVE's.
    pub fn severity(&self) -> Option<Severity> {
        match self {
            EventBody::NewVulnerability(e) => Some(e.severity),
            EventBody::VulnerableLibrary(e) => e.cvss.map(Severity::from_cvss),
            _ => None,
        }
    }

    /// Every problem of the event's fields, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |r: Result<(), FieldError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        check(validate_display_name("application", self.application(), NAME_MAX));
        match self {
            EventBody::NewVulnerability(e) => {
                check(optional_line("language", e.language.as_deref(), LANGUAGE_MAX));
                check(validate_display_name("title", &e.title, 200));
                check(validate_display_name("rule", &e.rule, 100));
                check(optional_line("route", e.route.as_deref(), 500));
                check(optional_text("description", e.description.as_deref(), 10_000));
            }
            EventBody::ApplicationAttacked(e) => {
                check(validate_display_name("rule", &e.rule, 100));
                check(optional_line("route", e.route.as_deref(), 500));
            }
            EventBody::VulnerableLibrary(e) => {
                check(validate_display_name("library", &e.library, 200));
                check(validate_display_name("version", &e.version, 100));
                check(optional_line("latest_version", e.latest_version.as_deref(), 100));
                if e.cves.is_empty() {
                    check(Err(FieldError::new("cves", "name at least one CVE")));
                }
                check(check_list_len("cves", &e.cves, 100));
                for (i, cve) in e.cves.iter().enumerate() {
                    if !is_cve_id(cve) {
                        check(Err(FieldError::new(
                            format!("cves[{i}]"),
                            "must be a CVE id such as CVE-2021-44228",
                        )));
                    }
                }
                if let Some(score) = e.cvss
                    && !(0.0..=10.0).contains(&score)
                {
                    check(Err(FieldError::new("cvss", "must be from 0 to 10")));
                }
                if let (Some(used), Some(latest)) = (e.released_on, e.latest_released_on)
                    && latest < used
                {
                    check(Err(FieldError::new(
                        "latest_released_on",
                        "must not be before released_on (the latest release is the newest)",
                    )));
                }
                if e.versions_behind.is_some_and(|n| n > 10_000) {
                    check(Err(FieldError::new("versions_behind", "must be at most 10000")));
                }
            }
            EventBody::NewAsset(e) => {
                check(optional_line("language", e.language.as_deref(), LANGUAGE_MAX));
                match (e.asset, e.name.as_deref()) {
                    (AssetKind::Application, Some(_)) => check(Err(FieldError::new(
                        "name",
                        "only a route or library asset has a name: an application asset is `application` itself",
                    ))),
                    (AssetKind::Application, None) => {}
                    (_, Some(name)) => check(validate_display_name("name", name, 500)),
                    (_, None) => check(Err(FieldError::new("name", "is required for a route or library asset"))),
                }
            }
            EventBody::NewComment(e) => {
                check(check_event_id("vulnerability", &e.vulnerability));
                check(validate_display_name("author", &e.author, 200));
                check(required_text("text", &e.text, 5_000));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The longest language name.
const LANGUAGE_MAX: usize = 40;

impl AgentEvent {
    pub fn event_type(&self) -> AgentEventType {
        self.body.event_type()
    }

    /// Every problem of the event, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = check_event_id("id", &self.id) {
            errors.push(e);
        }
        if let Err(e) = self.body.validate() {
            errors.extend(e);
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// An event id: 1 to [`EVENT_ID_MAX`] of `A-Z a-z 0-9 . _ : -` (it names the event in logs, audit entries
/// and comments, so nothing that needs escaping).
pub fn check_event_id(field: &str, id: &str) -> Result<(), FieldError> {
    let ok = !id.is_empty()
        && id.len() <= EVENT_ID_MAX
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be 1 to {EVENT_ID_MAX} of the characters A-Z a-z 0-9 . _ : -"),
        ))
    }
}

/// `CVE-` + a four-digit year + `-` + four or more digits.
fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && (4..=19).contains(&number.len())
        && year.bytes().chain(number.bytes()).all(|b| b.is_ascii_digit())
}

/// An optional one-line value: when present, as a display name is.
fn optional_line(field: &str, value: Option<&str>, max: usize) -> Result<(), FieldError> {
    value.map_or(Ok(()), |v| validate_display_name(field, v, max))
}

/// Text that may span lines (tabs and line feeds allowed, no other control or direction character),
/// not blank, at most `max` characters.
fn required_text(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    check_characters(field, &flat)?;
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters (has {chars})"),
        ));
    }
    Ok(())
}

fn optional_text(field: &str, text: Option<&str>, max: usize) -> Result<(), FieldError> {
    text.map_or(Ok(()), |t| required_text(field, t, max))
}

/// `POST agent/events`: up to [`MAX_EVENTS`] events from one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportEvents {
    /// The environment the agent runs in. A key limited to an environment reports for that one only
    /// (and stands for it when this is absent); otherwise absent means `development`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    pub events: Vec<AgentEvent>,
}

/// A batch holds 1 to [`MAX_EVENTS`] events.
pub fn check_batch_len(len: usize) -> Result<(), FieldError> {
    match len {
        0 => Err(FieldError::new("events", "send at least one event")),
        n if n > MAX_EVENTS => Err(FieldError::new(
            "events",
            format!("at most {MAX_EVENTS} events a request (has {n})"),
        )),
        _ => Ok(()),
    }
}

impl ReportEvents {
    /// Every problem of the batch, each naming its field (`events[3].severity`).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = check_batch_len(self.events.len()) {
            errors.push(e);
        }
        for (i, event) in self.events.iter().enumerate() {
            if let Err(fields) = event.validate() {
                errors.extend(
                    fields
                        .into_iter()
                        .map(|f| FieldError::new(format!("events[{i}].{}", f.field), f.message)),
                );
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// An event as the organization stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StoredEvent {
    /// The event as it was received and stored.
    pub event: AgentEvent,
    pub environment: Environment,
    /// The application it was filed under.
    pub application_id: Uuid,
    /// The vulnerability a `new_vulnerability` event became.
    pub vulnerability_id: Option<Uuid>,
    /// The key that reported it: `agent key <name>` or `organization key`.
    pub reported_by: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub received_at: Timestamp,
}

/// What became of one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    /// Stored now.
    Stored,
    /// Stored by an earlier report with this id and the same event (a retry): not stored again.
    AlreadyStored,
}

/// One event's result, in the batch's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventReceipt {
    pub id: String,
    pub outcome: EventOutcome,
    pub stored: StoredEvent,
}

/// The answer to `POST agent/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventsReceived {
    pub results: Vec<EventReceipt>,
}

/// The routes of agent keys, the organization key and the agents.
pub mod endpoints {
    use super::*;
    use crate::{Page, api_keys::RotateApiKey, routes::*};

    crate::endpoints! {
        /// Every named agent key of the organization (never a key itself).
        ListKeys: Get AGENT_KEYS, AdminSession, params (), query (), body () => Page<AgentKeyInfo>;
        /// A named agent key, optionally limited to one environment; shown once.
        CreateKey: Post AGENT_KEYS, AdminSession, params (), query (), body CreateAgentKey => NewAgentKey, status 201;
        /// A new agent key in place of the old one, which keeps working for the grace period; shown once.
        RotateKey: Post AGENT_KEY_ROTATE, AdminSession, params Uuid, query (), body RotateApiKey => NewAgentKey;
        /// Revokes an agent key: it stops working now.
        RevokeKey: Delete AGENT_KEY, AdminSession, params Uuid, query (), body () => (), status 204;
        /// The organization key (never the key itself).
        GetOrgKey: Get ORG_KEY, AdminSession, params (), query (), body () => OrgKeyInfo;
        /// A new organization key, shown once; the old one keeps working for the grace period.
        RotateOrgKey: Post ORG_KEY_ROTATE, AdminSession, params (), query (), body RotateApiKey => NewOrgKey;
        /// Events an agent found (all or nothing, at most 100); a retried event id is stored once.
        ReportEvents: Post AGENT_EVENTS, Agent, params (), query (), body super::ReportEvents => EventsReceived;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<ListKeys>();
        v.visit::<CreateKey>();
        v.visit::<RotateKey>();
        v.visit::<RevokeKey>();
        v.visit::<GetOrgKey>();
        v.visit::<RotateOrgKey>();
        v.visit::<ReportEvents>();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vulnerability() -> serde_json::Value {
        json!({
            "id": "evt-1", "type": "new_vulnerability", "application": "Shop", "title": "SQL injection in login",
            "severity": "high", "rule": "sql-injection",
        })
    }

    #[test]
    fn each_agent_event_type_is_the_notification_type_of_the_same_name() {
        for t in AgentEventType::ALL {
            assert_eq!(crate::notifications::EventType::from(t).as_str(), t.as_str());
        }
    }

    #[test]
    fn an_event_reads_its_type_from_the_same_object_and_writes_it_back() {
        let event: AgentEvent = serde_json::from_value(vulnerability()).unwrap();
        assert_eq!(event.event_type(), AgentEventType::NewVulnerability);
        assert_eq!(event.body.severity(), Some(Severity::High));
        assert_eq!(event.body.application(), "Shop");
        assert!(event.validate().is_ok());
        assert_eq!(serde_json::to_value(&event).unwrap(), vulnerability());
    }

    #[test]
    fn each_wrong_field_is_named_within_its_batch() {
        let mut bad = vulnerability();
        bad["id"] = json!("has space");
        bad["title"] = json!("  ");
        let lib = json!({
            "id": "evt-2", "type": "vulnerable_library", "application": "Shop", "library": "log4j-core",
            "version": "2.14.1", "cves": ["CVE-2021-44228", "cve-1"], "cvss": 11.0,
        });
        let batch: ReportEvents = serde_json::from_value(json!({ "events": [bad, lib] })).unwrap();
        let fields: Vec<String> = batch.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["events[0].id", "events[0].title", "events[1].cves[1]", "events[1].cvss"]
        );
    }

    #[test]
    fn a_batch_holds_one_to_a_hundred_events() {
        let empty = ReportEvents {
            environment: None,
            events: Vec::new(),
        };
        assert_eq!(empty.validate().unwrap_err()[0].field, "events");
        let one: AgentEvent = serde_json::from_value(vulnerability()).unwrap();
        let full = ReportEvents {
            environment: None,
            events: vec![one.clone(); MAX_EVENTS],
        };
        assert!(full.validate().is_ok());
        let over = ReportEvents {
            environment: None,
            events: vec![one; MAX_EVENTS + 1],
        };
        assert_eq!(over.validate().unwrap_err()[0].field, "events");
    }

    #[test]
    fn an_asset_names_a_route_or_library_but_not_an_application() {
        let asset = |asset: AssetKind, name: Option<&str>| {
            EventBody::NewAsset(NewAsset {
                application: "Shop".into(),
                asset,
                name: name.map(str::to_owned),
                language: None,
            })
            .validate()
        };
        assert!(asset(AssetKind::Application, None).is_ok());
        assert!(asset(AssetKind::Route, Some("GET /orders/{id}")).is_ok());
        assert_eq!(asset(AssetKind::Route, None).unwrap_err()[0].field, "name");
        assert_eq!(asset(AssetKind::Application, Some("x")).unwrap_err()[0].field, "name");
    }

    #[test]
    fn comments_may_span_lines_but_hold_no_control_characters() {
        let comment = |text: &str| {
            EventBody::NewComment(NewComment {
                application: "Shop".into(),
                vulnerability: "evt-1".into(),
                author: "Ann".into(),
                text: text.into(),
            })
            .validate()
        };
        assert!(comment("first line\n\tsecond line").is_ok());
        assert_eq!(comment("bell \u{7}").unwrap_err()[0].field, "text");
        assert_eq!(comment(" \n ").unwrap_err()[0].field, "text");
    }

    #[test]
    fn cve_ids_have_the_registry_shape() {
        assert!(is_cve_id("CVE-2021-44228"));
        assert!(is_cve_id("CVE-1999-0001"));
        assert!(!is_cve_id("CVE-21-44228"));
        assert!(!is_cve_id("CVE-2021-123"));
        assert!(!is_cve_id("cve-2021-44228"));
        assert!(!is_cve_id("CVE-2021-4422x"));
    }

    #[test]
    fn an_agent_key_name_follows_the_display_name_rule() {
        let key = |name: &str| CreateAgentKey {
            name: name.into(),
            environment: None,
        };
        assert!(key("ci runner").validate().is_ok());
        assert_eq!(key(" ").validate().unwrap_err()[0].field, "name");
        assert_eq!(key(&"x".repeat(101)).validate().unwrap_err()[0].field, "name");
    }
}
