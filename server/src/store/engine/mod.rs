//! The storage traits, implemented once for every engine: an engine says how an operation runs on one of
//! its connections ([`Engine::read`], [`TxEngine::run`]) and how a transaction begins and ends, and each
//! trait method runs its `ops` function (the SQL, shared by the engines, `store::ops`).
//!
//! Engines differ only in those hooks: SQLite runs operations on the blocking pool with one writer, and
//! keeps the reads every request makes in caches that are exact in one process; PostgreSQL runs them on
//! pooled connections and caches nothing, so several instances never disagree.

mod agents;
mod api_keys;
mod deliveries;
mod inbox;
mod integrations;
mod mail;
mod servers;
mod two_step;
mod users;

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{Versioned, audit::AuditEntry, general::GeneralSettings, inventory::Application};
use uuid::Uuid;

use super::{
    AuditFilter, AuditRecord, LicenseFacts, LoginUser, NewSession, SessionInfo, SessionTimeouts, SessionView, Store,
    StoreError, StoreResult, WriteTx, ops, sql::Connection,
};

/// How a store runs operations. Every storage trait is implemented over it.
#[async_trait]
pub trait Engine: Send + Sync + 'static {
    /// Runs `f` on a connection that reads committed data.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static;

    /// Runs `f`, an indexed lookup of one row that every request makes: where an engine can, right on
    /// the async thread.
    async fn read_point<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static;

    /// Starts a write transaction: of the whole store (`None`), or of one organization's rows
    /// ([`Store::begin_org`]).
    async fn open_tx(&self, org: Option<Uuid>) -> StoreResult<Box<dyn WriteTx>>;

    /// Runs `f`, one statement that claims queued work (mail, deliveries) for a worker, as a write of its
    /// own that announces nothing: a claim changes no data a reader sees, and announcing it would wake
    /// every instance's workers to claim again. On PostgreSQL it does not wait for the write lock (its
    /// rows are locked with `FOR UPDATE SKIP LOCKED`).
    async fn claim<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static;

    /// The session with this token hash (an engine may keep it between writes, exactly).
    async fn point_session(&self, token_hash: &str) -> StoreResult<Option<SessionView>>;

    /// The organization's general settings (likewise).
    async fn point_general_settings(&self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>>;

    /// A settings area's stored document (likewise).
    async fn point_settings_doc(&self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>>;

    /// Wakes after every commit seen by this store.
    fn commit_watch(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// How one open write transaction runs operations and ends.
#[async_trait]
pub trait TxEngine: Send + 'static {
    /// Runs one operation inside the transaction.
    async fn run<T, F>(&mut self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static;

    /// Commits; answers only once the commit is durable.
    async fn finish(self: Box<Self>) -> StoreResult<()>;

    /// The organization this transaction is confined to, if any ([`Store::begin_org`]).
    fn confined_to(&self) -> Option<Uuid> {
        None
    }
}

#[async_trait]
impl<E: Engine> Store for E {
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>> {
        self.open_tx(None).await
    }

    async fn begin_org(&self, org_id: Uuid) -> StoreResult<Box<dyn WriteTx>> {
        self.open_tx(Some(org_id)).await
    }

    async fn user_for_login(&self, email: &str) -> StoreResult<Option<LoginUser>> {
        let email = email.to_owned();
        self.read(move |c| ops::user_for_login(c, &email)).await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionView>> {
        self.point_session(token_hash).await
    }

    async fn session_timeouts(&self, org_id: Uuid) -> StoreResult<SessionTimeouts> {
        self.read(move |c| ops::session_timeouts(c, org_id)).await
    }

    async fn general_settings(&self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>> {
        self.point_general_settings(org_id).await
    }

    async fn licenses(&self, org_id: Uuid) -> StoreResult<LicenseFacts> {
        self.read(move |c| ops::licenses(c, org_id)).await
    }

    async fn server_event_raised(&self, org_id: Uuid, key: &str) -> StoreResult<bool> {
        let key = key.to_owned();
        self.read(move |c| ops::server_event_raised(c, org_id, &key)).await
    }

    async fn licenses_expiring(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> StoreResult<Vec<crate::store::ExpiringLicenses>> {
        self.read(move |c| ops::licenses_expiring(c, from, to)).await
    }

    async fn applications(&self, org_id: Uuid) -> StoreResult<Vec<Application>> {
        self.read(move |c| ops::applications(c, org_id)).await
    }

    async fn change_head(&self, org_id: Uuid) -> StoreResult<i64> {
        self.read(move |c| ops::change_head(c, org_id)).await
    }

    async fn changes_after(
        &self,
        org_id: Uuid,
        after: i64,
        limit: usize,
    ) -> StoreResult<Vec<orgdeck_shared::events::ChangeEvent>> {
        self.read(move |c| ops::changes_after(c, org_id, after, limit)).await
    }

    fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commit_watch()
    }

    async fn audit_search(&self, org_id: Uuid, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let filter = filter.clone();
        self.read(move |c| ops::audit_search(c, org_id, &filter)).await
    }

    async fn settings_docs_under(&self, org_id: Uuid, prefix: &str) -> StoreResult<Vec<(String, String)>> {
        let prefix = prefix.to_owned();
        self.read(move |c| ops::settings_docs_under(c, org_id, &prefix)).await
    }

    async fn settings_doc(&self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>> {
        self.point_settings_doc(org_id, area).await
    }

    async fn password_history(&self, user_id: Uuid, n: u32) -> StoreResult<Vec<String>> {
        self.read(move |c| ops::password_history(c, user_id, n)).await
    }

    async fn user_sessions(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Vec<SessionInfo>> {
        self.read(move |c| ops::user_sessions(c, org_id, user_id)).await
    }
}

#[async_trait]
impl<T: TxEngine> WriteTx for T {
    async fn insert_session(&mut self, session: &NewSession) -> StoreResult<()> {
        let s = session.clone();
        self.run(move |c| ops::insert_session(c, &s)).await
    }

    async fn touch_session(&mut self, token_hash: &str, at: Timestamp) -> StoreResult<()> {
        let h = token_hash.to_owned();
        self.run(move |c| ops::touch_session(c, &h, at)).await
    }

    async fn delete_session(&mut self, token_hash: &str) -> StoreResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |c| ops::delete_session(c, &h)).await
    }

    async fn delete_ended_sessions(&mut self, user_id: Uuid, now: Timestamp) -> StoreResult<()> {
        self.run(move |c| ops::delete_ended_sessions(c, user_id, now)).await
    }

    async fn record_login(&mut self, user_id: Uuid, at: Timestamp, ip: &str) -> StoreResult<()> {
        let ip = ip.to_owned();
        self.run(move |c| ops::record_login(c, user_id, at, &ip)).await
    }

    async fn record_failed_login(&mut self, user_id: Uuid) -> StoreResult<u32> {
        self.run(move |c| ops::record_failed_login(c, user_id)).await
    }

    async fn general_settings(&mut self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>> {
        self.run(move |c| ops::general_settings(c, org_id)).await
    }

    async fn update_general_settings(
        &mut self,
        org_id: Uuid,
        expected: i64,
        value: &GeneralSettings,
        at: Timestamp,
    ) -> StoreResult<i64> {
        let value = value.clone();
        self.run(move |c| ops::update_general_settings(c, org_id, expected, &value, at))
            .await
    }

    async fn settings_doc_tx(&mut self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>> {
        let area = area.to_owned();
        self.run(move |c| ops::settings_doc(c, org_id, &area)).await
    }

    async fn update_settings_doc(
        &mut self,
        org_id: Uuid,
        area: &str,
        expected: i64,
        doc: &str,
        at: Timestamp,
    ) -> StoreResult<i64> {
        let (area, doc) = (area.to_owned(), doc.to_owned());
        self.run(move |c| ops::update_settings_doc(c, org_id, &area, expected, &doc, at))
            .await
    }

    async fn record_password_change(&mut self, user_id: Uuid, hash: &str, at: Timestamp) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.run(move |c| ops::record_password_change(c, user_id, &hash, at))
            .await
    }

    async fn mark_unlocked(&mut self, user_id: Uuid, at: Timestamp) -> StoreResult<()> {
        self.run(move |c| ops::mark_unlocked(c, user_id, at)).await
    }

    async fn require_password_change(&mut self, user_id: Uuid) -> StoreResult<()> {
        self.run(move |c| ops::require_password_change(c, user_id)).await
    }

    async fn delete_session_by_id(&mut self, org_id: Uuid, user_id: Uuid, id: &str) -> StoreResult<bool> {
        let id = id.to_owned();
        self.run(move |c| ops::delete_session_by_id(c, org_id, user_id, &id))
            .await
    }

    async fn end_other_sessions(&mut self, user_id: Uuid, keep: &str) -> StoreResult<u64> {
        let keep = keep.to_owned();
        self.run(move |c| ops::end_other_sessions(c, user_id, &keep)).await
    }

    async fn append_audit(&mut self, entry: &AuditRecord) -> StoreResult<()> {
        if let Some(org) = self.confined_to()
            && entry.org_id != Some(org)
        {
            // Its place in the change stream would not follow that organization's commit order.
            return Err(StoreError::Corrupt(format!(
                "a transaction of organization {org} cannot audit {}",
                entry
                    .org_id
                    .map_or("the system".to_owned(), |o| format!("organization {o}"))
            )));
        }
        let entry = entry.clone();
        self.run(move |c| ops::append_audit(c, &entry)).await
    }

    async fn record_server_event(&mut self, org_id: Uuid, key: &str, at: Timestamp) -> StoreResult<bool> {
        let key = key.to_owned();
        self.run(move |c| ops::record_server_event(c, org_id, &key, at)).await
    }

    async fn login_attempt(
        &mut self,
        addr: &str,
        burst: f64,
        now_ms: i64,
    ) -> StoreResult<crate::auth::rate_limit::Verdict> {
        let addr = addr.to_owned();
        self.run(move |c| ops::login_attempt(c, &addr, burst, now_ms)).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.finish().await
    }
}
