//! The storage traits of agents (split from [`super::Store`] and [`super::WriteTx`] to keep each file
//! small): the organization key and named agent keys (kept as SHA-256 hashes with a display prefix, as
//! personal keys are), the events agents report, and the vulnerabilities those events become.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    agents::{AgentEvent, AgentKeyInfo, OrgKeyInfo, StoredEvent},
    general::Environment,
    vulnerabilities::{Severity, Vulnerability},
};
use uuid::Uuid;

use super::{LicenseFacts, StoreResult};

/// Which of an organization's agent credentials a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKeyKind {
    /// The one organization key.
    Organization,
    /// A named agent key an admin made.
    Agent,
}

impl AgentKeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKeyKind::Organization => "organization",
            AgentKeyKind::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<AgentKeyKind> {
        [AgentKeyKind::Organization, AgentKeyKind::Agent]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who a presented agent key is, read with what every agent request checks.
#[derive(Debug, Clone)]
pub struct AgentKeyCaller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub kind: AgentKeyKind,
    /// A named key's name (`None` for the organization key).
    pub name: Option<String>,
    /// The one environment a limited key reports for.
    pub environment: Option<Environment>,
    pub prefix: String,
    pub last_used_at: Option<Timestamp>,
    /// The organization's `ip_restrictions` document.
    pub ip_doc: Option<String>,
    /// The presented key is the one a rotation replaced: it works until then.
    pub replaced_until: Option<Timestamp>,
}

/// An agent credential to store: its hash and display prefix, never the key.
#[derive(Debug, Clone)]
pub struct NewAgentKeyRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: AgentKeyKind,
    /// Required for a named key, `None` for the organization key.
    pub name: Option<String>,
    pub environment: Option<Environment>,
    pub key_hash: String,
    pub prefix: String,
    /// Whether the key was shown to anyone (the organization key made with its organization is not).
    pub issued: bool,
    pub at: Timestamp,
}

/// An event to store, checked and filed under its application.
#[derive(Debug, Clone)]
pub struct NewAgentEventRow {
    pub org_id: Uuid,
    pub event: AgentEvent,
    pub application_id: Uuid,
    pub severity: Option<Severity>,
    pub environment: Environment,
    pub key_id: Uuid,
    pub reported_by: String,
    pub received_at: Timestamp,
}

/// A vulnerability to store, made of the `new_vulnerability` event `event_id`.
#[derive(Debug, Clone)]
pub struct NewVulnerabilityRow {
    pub org_id: Uuid,
    pub vulnerability: Vulnerability,
    pub created_at: Timestamp,
}

/// An application to make when an agent reports one the organization has not seen.
#[derive(Debug, Clone)]
pub struct NewApplicationRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub language: String,
    pub environment: Environment,
    pub licensed: bool,
    pub at: Timestamp,
}

/// The vulnerability an event reported, with the application it belongs to.
#[derive(Debug, Clone)]
pub struct VulnerabilityRef {
    pub id: Uuid,
    pub application_id: Uuid,
    pub application: String,
}

#[async_trait]
pub trait AgentReads {
    /// The agent or organization key with this hash (current, or replaced and maybe still in its grace
    /// period).
    async fn agent_key_caller(&self, key_hash: &str) -> StoreResult<Option<AgentKeyCaller>>;

    /// The organization's named agent keys, by name.
    async fn agent_keys(&self, org_id: Uuid) -> StoreResult<Vec<AgentKeyInfo>>;

    /// The organization key.
    async fn org_key(&self, org_id: Uuid) -> StoreResult<Option<OrgKeyInfo>>;

    /// The application's vulnerabilities after `after` (by id), at most `limit`; `None` when the
    /// organization has no such application.
    async fn vulnerabilities(
        &self,
        org_id: Uuid,
        application_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Option<Vec<Vulnerability>>>;

    /// One vulnerability of the organization, with its application's name.
    async fn vulnerability(&self, org_id: Uuid, id: Uuid) -> StoreResult<Option<(Vulnerability, String)>>;
}

#[async_trait]
pub trait AgentWrites {
    /// One named agent key of the organization as this transaction sees it.
    async fn agent_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<AgentKeyInfo>>;

    /// The organization key's id and what lists show of it, as this transaction sees it.
    async fn org_key_tx(&mut self, org_id: Uuid) -> StoreResult<Option<(Uuid, OrgKeyInfo)>>;

    /// How many named agent keys the organization holds.
    async fn agent_key_count(&mut self, org_id: Uuid) -> StoreResult<u64>;

    /// Stores a key; `Conflict` when the organization has a key of that name (letter case aside), or a
    /// second organization key.
    async fn insert_agent_key(&mut self, row: &NewAgentKeyRow) -> StoreResult<()>;

    /// Replaces the key's hash and marks it issued; the replaced one keeps working until
    /// `replaced_until` (`None`: stops now).
    async fn rotate_agent_key(
        &mut self,
        id: Uuid,
        key_hash: &str,
        prefix: &str,
        at: Timestamp,
        replaced_until: Option<Timestamp>,
    ) -> StoreResult<()>;

    /// Revokes a named agent key (and a replaced one in its grace period); false when there was none.
    async fn delete_agent_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Moves the key's `last_used_at` forward.
    async fn touch_agent_key(&mut self, id: Uuid, at: Timestamp) -> StoreResult<()>;

    /// The event the organization stored under this id (earlier in this transaction too).
    async fn agent_event(&mut self, org_id: Uuid, event_id: &str) -> StoreResult<Option<StoredEvent>>;

    async fn insert_agent_event(&mut self, row: &NewAgentEventRow) -> StoreResult<()>;

    async fn insert_vulnerability(&mut self, row: &NewVulnerabilityRow) -> StoreResult<()>;

    /// The issue row of `vulnerability` in `integration`: `(key, url, at)`, the key empty for a claim.
    async fn tracker_issue_claim(
        &mut self,
        vulnerability: Uuid,
        integration: Uuid,
    ) -> StoreResult<Option<(String, String, Timestamp)>>;

    /// Writes a vulnerability's issue (or a claim: empty key and url) in the issue's integration.
    async fn put_tracker_issue(
        &mut self,
        org_id: Uuid,
        vulnerability: Uuid,
        issue: &orgdeck_shared::integrations::TrackerIssue,
    ) -> StoreResult<()>;

    /// Drops a claim that did not become an issue.
    async fn drop_tracker_claim(&mut self, vulnerability: Uuid, integration: Uuid) -> StoreResult<()>;

    /// The vulnerability the organization's event `event_id` reported.
    async fn vulnerability_of_event(&mut self, org_id: Uuid, event_id: &str) -> StoreResult<Option<VulnerabilityRef>>;

    /// The id of the organization's application named `name`.
    async fn application_id(&mut self, org_id: Uuid, name: &str) -> StoreResult<Option<Uuid>>;

    /// Stores an application an agent reported first.
    async fn insert_reported_application(&mut self, row: &NewApplicationRow) -> StoreResult<()>;

    /// The organization's licenses and what uses them, as this transaction sees them.
    async fn license_facts(&mut self, org_id: Uuid) -> StoreResult<LicenseFacts>;
}
