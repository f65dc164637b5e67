//! Storage behind a trait: the server talks to `Arc<dyn Store>`, one implementation per engine.
//!
//! Reads are methods of [`Store`]. Changes go through a [`WriteTx`], a write transaction that is a
//! value: [`WriteTx::commit`] consumes it, and dropping it without committing rolls everything back. A
//! change and its audit entry are written through the same `WriteTx`, so neither exists without the other.
//! Every query that touches organization data takes the organization id.

pub mod agents;
pub mod api_keys;
pub mod deliveries;
pub mod engine;
pub mod inbox;
pub mod integrations;
pub mod mail;
pub mod model;
pub mod ops;
pub mod postgres;
pub mod servers;
pub mod sql;
pub mod sqlite;
pub mod two_step;
pub mod users;

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{Versioned, audit::AuditEntry, general::GeneralSettings};
use uuid::Uuid;

pub use agents::*;
pub use api_keys::*;
pub use deliveries::*;
pub use inbox::*;
pub use integrations::*;
pub use mail::*;
pub use model::*;
pub use servers::*;
pub use two_step::*;
pub use users::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An `UPDATE ... WHERE version = ?` found another version.
    #[error("version mismatch (current version {current})")]
    VersionMismatch { current: i64 },
    #[error("{0}")]
    NotFound(&'static str),
    /// A uniqueness rule refused the change (e.g. an email already in use).
    #[error("{0}")]
    Conflict(String),
    /// Stored data that does not parse (a bug or a hand-edited database).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store:
    UserReads
    + ApiKeyReads
    + IntegrationReads
    + AgentReads
    + ServerReads
    + InboxReads
    + DeliveryReads
    + MailReads
    + Send
    + Sync
    + 'static
{
    /// Starts a write transaction of the whole store: while it is open, no other write transaction is
    /// (others wait).
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>>;

    /// Starts a write transaction that reads and writes only organization `org_id`'s own rows (its
    /// settings, groups, users, keys, integrations, servers, agents) and appends only its audit entries;
    /// those it reads and then writes, nobody else changes until it ends. Only one is open at a time for
    /// an organization, and none while a [`Store::begin`] transaction is open; on an engine with more than
    /// one writer (PostgreSQL), those of different organizations run side by side and commit together.
    /// An audit entry of another organization fails the transaction.
    async fn begin_org(&self, org_id: Uuid) -> StoreResult<Box<dyn WriteTx>>;

    /// The user who may log in with this (normalized, lower-case) email.
    async fn user_for_login(&self, email: &str) -> StoreResult<Option<LoginUser>>;

    /// The session with this token hash, with its user and organization.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionView>>;

    /// The organization's session timeouts (defaults when never changed).
    async fn session_timeouts(&self, org_id: Uuid) -> StoreResult<SessionTimeouts>;

    async fn general_settings(&self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>>;

    async fn licenses(&self, org_id: Uuid) -> StoreResult<LicenseFacts>;

    /// Whether the organization's server event `key` was raised.
    async fn server_event_raised(&self, org_id: Uuid, key: &str) -> StoreResult<bool>;

    /// Every organization's licenses expiring between `from` and `to` (included), per kind and day.
    async fn licenses_expiring(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> StoreResult<Vec<ExpiringLicenses>>;

    async fn applications(&self, org_id: Uuid) -> StoreResult<Vec<orgdeck_shared::inventory::Application>>;

    /// Entries of one organization matching `filter`, newest first, at most `filter.limit`.
    async fn audit_search(&self, org_id: Uuid, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>>;

    /// A settings area's stored document and version (`None`: never written, its defaults at version 1).
    async fn settings_doc(&self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>>;

    /// The documents whose key starts with `prefix`, as `(key, document)` (every user's own choices).
    async fn settings_docs_under(&self, org_id: Uuid, prefix: &str) -> StoreResult<Vec<(String, String)>>;

    /// The user's last `n` password hashes, newest first.
    async fn password_history(&self, user_id: Uuid, n: u32) -> StoreResult<Vec<String>>;

    /// The user's stored sessions, newest first (alive or not under the current timeouts).
    async fn user_sessions(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Vec<SessionInfo>>;

    /// The newest place in `org_id`'s change stream (its audit entries), 0 when nothing was ever
    /// recorded: a reader that goes on after it misses none of the organization's later changes.
    async fn change_head(&self, org_id: Uuid) -> StoreResult<i64>;

    /// The changes of `org_id` after place `after`, oldest first, at most `limit`.
    async fn changes_after(
        &self,
        org_id: Uuid,
        after: i64,
        limit: usize,
    ) -> StoreResult<Vec<orgdeck_shared::events::ChangeEvent>>;

    /// Wakes after every commit of this store (a live-update stream then reads what is new).
    fn commits(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// One open write transaction. Commit consumes it; dropping it rolls back.
#[async_trait]
pub trait WriteTx:
    UserWrites
    + ApiKeyWrites
    + IntegrationWrites
    + AgentWrites
    + ServerWrites
    + InboxWrites
    + DeliveryWrites
    + TwoStepWrites
    + MailWrites
    + Send
{
    async fn insert_session(&mut self, session: &NewSession) -> StoreResult<()>;

    /// Moves the session's `last_seen_at` forward.
    async fn touch_session(&mut self, token_hash: &str, at: Timestamp) -> StoreResult<()>;

    /// Ends one session; false when there was none.
    async fn delete_session(&mut self, token_hash: &str) -> StoreResult<bool>;

    /// Forgets the user's sessions that ended before `now`.
    async fn delete_ended_sessions(&mut self, user_id: Uuid, now: Timestamp) -> StoreResult<()>;

    /// A successful login: remember when and from where, and clear the failure counter.
    async fn record_login(&mut self, user_id: Uuid, at: Timestamp, ip: &str) -> StoreResult<()>;

    /// A wrong password: count it; returns the failures in a row so far.
    async fn record_failed_login(&mut self, user_id: Uuid) -> StoreResult<u32>;

    /// The general settings as this transaction sees them.
    async fn general_settings(&mut self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>>;

    /// Writes new general settings if the stored version is still `expected`; returns the new version.
    async fn update_general_settings(
        &mut self,
        org_id: Uuid,
        expected: i64,
        value: &GeneralSettings,
        at: Timestamp,
    ) -> StoreResult<i64>;

    /// A settings area's document as this transaction sees it.
    async fn settings_doc_tx(&mut self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>>;

    /// Writes a settings area's document over version `expected` (1 when never written).
    async fn update_settings_doc(
        &mut self,
        org_id: Uuid,
        area: &str,
        expected: i64,
        doc: &str,
        at: Timestamp,
    ) -> StoreResult<i64>;

    /// A password was set: its time and its hash for the reuse check.
    async fn record_password_change(&mut self, user_id: Uuid, hash: &str, at: Timestamp) -> StoreResult<()>;

    /// An admin unlocked the user at `at` (restarts the inactivity clock).
    async fn mark_unlocked(&mut self, user_id: Uuid, at: Timestamp) -> StoreResult<()>;

    /// The user must change their password before anything else (an expired password).
    async fn require_password_change(&mut self, user_id: Uuid) -> StoreResult<()>;

    /// Ends one session of the user by its opaque id; false when there was none.
    async fn delete_session_by_id(&mut self, org_id: Uuid, user_id: Uuid, id: &str) -> StoreResult<bool>;

    /// Ends the user's sessions except the one with token hash `keep`.
    async fn end_other_sessions(&mut self, user_id: Uuid, keep: &str) -> StoreResult<u64>;

    /// Appends one audit entry. There is no way to change or delete one.
    async fn append_audit(&mut self, entry: &AuditRecord) -> StoreResult<()>;

    /// Records that the organization's server event `key` was raised; false when it was already.
    async fn record_server_event(&mut self, org_id: Uuid, key: &str, at: Timestamp) -> StoreResult<bool>;

    /// One login attempt from address `addr` against its shared bucket of `burst` tokens a minute
    /// (PostgreSQL: instances share the limit).
    async fn login_attempt(
        &mut self,
        addr: &str,
        burst: f64,
        now_ms: i64,
    ) -> StoreResult<crate::auth::rate_limit::Verdict>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
