//! The embedded store: one SQLite file in the data directory, WAL, one writer (`BEGIN IMMEDIATE`) and a
//! few readers, all run off the async threads.

mod api_keys;
pub mod cache;
mod mail;
pub mod ops;
pub mod schema;
mod two_step;
mod users;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    Versioned,
    audit::AuditEntry,
    general::GeneralSettings,
    inventory::{Application, Server},
};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedMutexGuard, Semaphore};
use uuid::Uuid;

use super::{
    AuditFilter, AuditRecord, LicenseFacts, LoginUser, NewSession, SessionInfo, SessionTimeouts, SessionView, Store,
    StoreError, StoreResult, WriteTx,
};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "orgdeck.db";

const READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// Opens a connection with the settings every connection needs.
pub fn open_connection(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Plans that do not depend on bound values. Without this, SQLite marks a statement whose plan could
    // depend on a parameter for re-preparing whenever its bindings are cleared, which rusqlite's statement
    // cache does on every return: each cached statement was compiled again (35 us instead of 2 us for a
    // session lookup).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: every commit syncs the WAL before it returns, so an answered write survives a power loss,
        // not only a crash of the process (NORMAL syncs only at checkpoints and can lose the last commits).
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// The database's own files: the database, its write-ahead log and its shared-memory index.
fn db_files(data_dir: &Path) -> [PathBuf; 3] {
    let db = db_path(data_dir);
    let with = |suffix: &str| {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm"), db]
}

/// Creates the data directory (0700) and database if needed and applies pending migrations; returns the
/// writer. The database is created 0600 before SQLite opens it (SQLite gives the `-wal` and `-shm` files
/// the database's mode), and files left looser by an older version are tightened to 0600.
pub fn open_and_migrate(data_dir: &Path, now: Timestamp) -> anyhow::Result<Connection> {
    crate::data_dir::prepare(data_dir)?;
    let db = db_path(data_dir);
    crate::data_dir::create_private_file(&db).with_context(|| format!("cannot create {}", db.display()))?;
    crate::data_dir::restrict_file(&db).with_context(|| format!("cannot make {} private", db.display()))?;
    let mut conn = open_connection(&db, false)?;
    schema::migrate(&mut conn, now)?;
    for file in db_files(data_dir) {
        crate::data_dir::restrict_file(&file).with_context(|| format!("cannot make {} private", file.display()))?;
    }
    Ok(conn)
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_permits: Arc<Semaphore>,
    /// Moves with every commit; caches of what every request reads are good only while it stands still.
    generation: Arc<cache::Generation>,
    sessions: cache::ReadCache<String, SessionView>,
    general: cache::ReadCache<Uuid, Versioned<GeneralSettings>>,
}

/// Sessions and organizations whose per-request reads are kept between writes.
const CACHED_SESSIONS: usize = 1024;
const CACHED_ORGS: usize = 256;

impl SqliteStore {
    /// Opens (creating and migrating as needed) the database in `data_dir`.
    pub async fn open(data_dir: &Path, now: Timestamp) -> anyhow::Result<Self> {
        let dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let writer = open_and_migrate(&dir, now)?;
            let readers = (0..READERS)
                .map(|_| open_connection(&db_path(&dir), true))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Self {
                path: db_path(&dir),
                writer: Arc::new(tokio::sync::Mutex::new(writer)),
                readers: Arc::new(Mutex::new(readers)),
                reader_permits: Arc::new(Semaphore::new(READERS)),
                generation: Arc::new(cache::Generation::open(&dir)),
                sessions: cache::ReadCache::new(CACHED_SESSIONS),
                general: cache::ReadCache::new(CACHED_ORGS),
            })
        })
        .await?
    }

    /// Runs `f` on a reader connection right here on the async thread, for indexed point lookups that take
    /// microseconds (a session, a settings document): a hop to the blocking pool would cost more than the
    /// query. Anything that scans goes through [`Self::read`].
    fn read_point<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self
            .readers
            .lock()
            .map_err(|_| StoreError::Corrupt("reader pool poisoned".into()))?
            .pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path, true).map_err(ops::db_err)?,
        };
        let result = f(&conn);
        if let Ok(mut pool) = self.readers.lock() {
            pool.push(conn);
        }
        result
    }

    /// Runs `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self.reader_permits.clone().acquire_owned().await.map_err(backend)?;
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers
                .lock()
                .map_err(|_| StoreError::Corrupt("reader pool poisoned".into()))?
                .pop();
            // A connection lost to a panic is replaced.
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&path, true).map_err(ops::db_err)?,
            };
            let result = f(&conn);
            if let Ok(mut pool) = readers.lock() {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(backend)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>> {
        let guard = self.writer.clone().lock_owned().await;
        let tx = tokio::task::spawn_blocking(move || -> StoreResult<TxConn> {
            if !guard.is_autocommit() {
                // A transaction left open by a cancelled request: it never committed, so end it.
                guard.execute_batch("ROLLBACK").map_err(ops::db_err)?;
            }
            guard.execute_batch("BEGIN IMMEDIATE").map_err(ops::db_err)?;
            Ok(TxConn {
                conn: guard,
                open: true,
            })
        })
        .await
        .map_err(backend)??;
        Ok(Box::new(SqliteTx {
            conn: Some(tx),
            generation: self.generation.clone(),
        }))
    }

    async fn user_for_login(&self, email: &str) -> StoreResult<Option<LoginUser>> {
        let email = email.to_owned();
        self.read(move |c| ops::user_for_login(c, &email)).await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionView>> {
        let at = self.generation.stamp();
        if let Some(view) = at.and_then(|at| self.sessions.get(token_hash, at)) {
            return Ok(Some(view));
        }
        let view = self.read_point(|c| ops::session(c, token_hash))?;
        if let (Some(at), Some(v)) = (at, &view) {
            self.sessions.put(token_hash.to_owned(), at, v.clone());
        }
        Ok(view)
    }

    async fn session_timeouts(&self, org_id: Uuid) -> StoreResult<SessionTimeouts> {
        self.read(move |c| ops::session_timeouts(c, org_id)).await
    }

    async fn general_settings(&self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>> {
        let at = self.generation.stamp();
        if let Some(v) = at.and_then(|at| self.general.get(&org_id, at)) {
            return Ok(v);
        }
        let v = self.read_point(|c| ops::general_settings(c, org_id))?;
        if let Some(at) = at {
            self.general.put(org_id, at, v.clone());
        }
        Ok(v)
    }

    async fn licenses(&self, org_id: Uuid) -> StoreResult<LicenseFacts> {
        self.read(move |c| ops::licenses(c, org_id)).await
    }

    async fn applications(&self, org_id: Uuid) -> StoreResult<Vec<Application>> {
        self.read(move |c| ops::applications(c, org_id)).await
    }

    async fn servers(&self, org_id: Uuid) -> StoreResult<Vec<Server>> {
        self.read(move |c| ops::servers(c, org_id)).await
    }

    async fn audit_search(&self, org_id: Uuid, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let filter = filter.clone();
        self.read(move |c| ops::audit_search(c, org_id, &filter)).await
    }

    async fn settings_doc(&self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>> {
        self.read_point(|c| ops::settings_doc(c, org_id, area))
    }

    async fn password_history(&self, user_id: Uuid, n: u32) -> StoreResult<Vec<String>> {
        self.read(move |c| ops::password_history(c, user_id, n)).await
    }

    async fn user_sessions(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Vec<SessionInfo>> {
        self.read(move |c| ops::user_sessions(c, org_id, user_id)).await
    }
}

/// The writer connection inside an open transaction; rolls back when dropped before commit.
struct TxConn {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl Drop for TxConn {
    fn drop(&mut self) {
        if self.open
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rollback failed");
        }
    }
}

struct SqliteTx {
    /// `None` only while an operation runs on the blocking pool (or after it was cancelled there).
    conn: Option<TxConn>,
    generation: Arc<cache::Generation>,
}

impl SqliteTx {
    /// Runs one operation of this transaction on the blocking pool.
    async fn run<T, F>(&mut self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let tx = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Corrupt("transaction already ended".into()))?;
        let (tx, result) = tokio::task::spawn_blocking(move || {
            let result = f(&tx.conn);
            (tx, result)
        })
        .await
        .map_err(backend)?;
        self.conn = Some(tx);
        result
    }
}

#[async_trait]
impl WriteTx for SqliteTx {
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
        let entry = entry.clone();
        self.run(move |c| ops::append_audit(c, &entry)).await
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let mut tx = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Corrupt("transaction already ended".into()))?;
        let generation = self.generation.clone();
        tokio::task::spawn_blocking(move || {
            tx.conn.execute_batch("COMMIT").map_err(ops::db_err)?;
            tx.open = false;
            drop(tx);
            // After the commit, never before: a read that sees the new count also sees the change.
            generation.committed();
            Ok(())
        })
        .await
        .map_err(backend)?
    }
}

#[cfg(test)]
mod tests {
    use orgdeck_shared::audit::{AuditActor, AuditTarget};

    use super::*;

    fn entry(summary: &str) -> AuditRecord {
        AuditRecord::new(
            None,
            Timestamp::now(),
            AuditActor::system(),
            "test",
            AuditTarget::new("t", "1"),
            summary,
        )
    }

    fn count(dir: &Path) -> i64 {
        let c = open_connection(&db_path(dir), true).unwrap();
        c.query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0)).unwrap()
    }

    #[tokio::test]
    async fn a_dropped_transaction_writes_nothing_and_a_committed_one_everything() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), Timestamp::now()).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append_audit(&entry("dropped")).await.unwrap();
        drop(tx);
        assert_eq!(count(dir.path()), 0);

        let mut tx = store.begin().await.unwrap();
        tx.append_audit(&entry("one")).await.unwrap();
        tx.append_audit(&entry("two")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(count(dir.path()), 2);
    }

    #[tokio::test]
    async fn migrations_apply_once_and_reopening_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), Timestamp::now()).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append_audit(&entry("kept")).await.unwrap();
        tx.commit().await.unwrap();
        drop(store);
        let _again = SqliteStore::open(dir.path(), Timestamp::now()).await.unwrap();
        let c = open_connection(&db_path(dir.path()), true).unwrap();
        assert_eq!(schema::current_version(&c).unwrap(), schema::latest_version());
        assert_eq!(count(dir.path()), 1);
        let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }
}
