//! The PostgreSQL store, for deployments that run several server instances against one database
//! (`../shared/notes/postgres.md`).
//!
//! The operations are the SQLite store's (`store::ops`, through `store::sql`); what differs is here:
//! - a pool of connections (deadpool-postgres), each statement kept prepared per connection, but the
//!   searches, which are planned for their own values every time (`sql::Connection::prepare_planned`: a
//!   generic plan of the audit search is hundreds of times slower, notes §4.3); planning every statement
//!   instead cost a millisecond a request for the session's lookup alone;
//! - a write transaction is a pooled connection inside `BEGIN` … `COMMIT` that first takes its locks,
//!   transaction-scoped advisory locks held to its end, so every rule that reads then writes holds across
//!   every instance: one of the whole store (`Store::begin`) holds the write lock (`ops::WRITE_LOCK`) alone,
//!   and runs by itself, as SQLite's do; one of an organization (`Store::begin_org`) shares the write lock
//!   and holds its organization's lock (`ops::org_lock`), so those of different organizations run, and
//!   commit, side by side (PostgreSQL then syncs their commits together). One dropped without a commit is
//!   rolled back before its connection is used again, or its connection is closed;
//! - no cache: every read asks the database, so an instance never serves what another changed;
//! - commits are announced on the channel `orgdeck_changes` (`NOTIFY`, delivered once committed), which
//!   every instance listens to, so live updates reach consoles connected to any instance.

pub mod schema;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures_util::StreamExt;
use jiff::Timestamp;
use orgdeck_shared::{Versioned, general::GeneralSettings};
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, config::SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;

use super::{
    SessionView, StoreError, StoreResult, WriteTx,
    engine::{Engine, TxEngine},
    ops,
    sql::{Connection, PgConn},
};

/// Connections per instance for reads, and for write transactions (those of different organizations write
/// side by side; the others wait for their lock holding theirs).
const READERS: usize = 12;
const WRITERS: usize = 16;
/// The channel commits are announced on.
const CHANNEL: &str = "orgdeck_changes";

/// Why the PostgreSQL store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum PgOpenError {
    #[error("the database URL is not one PostgreSQL understands: {0}")]
    Url(#[source] tokio_postgres::Error),
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("cannot migrate the PostgreSQL database")]
    Migrate(#[from] schema::MigrateError),
    #[error("cannot set up the connection pool")]
    Pool(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// TLS cannot be set up with this build's crypto provider.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// `sslrootcert` names a file that holds no usable CA certificate.
    #[error("sslrootcert {}: {reason}", file.display())]
    RootCert { file: PathBuf, reason: String },
}

/// Where a URL points, without its password (for messages).
pub fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    format!(
        "{} database {}",
        hosts.join(","),
        config.get_dbname().unwrap_or("(default)")
    )
}

/// The driver's configuration for `url`, with what every connection of the store needs.
pub fn config(url: &str) -> Result<tokio_postgres::Config, PgOpenError> {
    Ok(target(url)?.config)
}

/// Where and how to connect: the driver's configuration and the TLS connector.
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: MakeRustlsConnect,
}

/// The database `url` names (a URL or a key-value connection string), as [`config`] reads it, and how its
/// connections are encrypted:
/// - `sslmode=require` (or libpq's `verify-ca` / `verify-full`, the same here): TLS, the server's
///   certificate verified against the public roots and the CAs of `sslrootcert=FILE` (PEM), and its name;
///   a server that offers no TLS, or a certificate that does not verify, is refused;
/// - `sslmode=disable`, `prefer` or none: no TLS (libpq's `prefer` would encrypt without verifying, which
///   keeps nothing from an attacker in the middle: ask for `require`).
pub fn target(url: &str) -> Result<Target, PgOpenError> {
    let (url, rootcert) = tls_options(url);
    let mut config = tokio_postgres::Config::from_str(&url).map_err(PgOpenError::Url)?;
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_application_name().is_none() {
        config.application_name("orgdeck-server");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_ssl_mode() != SslMode::Require {
        config.ssl_mode(SslMode::Disable);
    }
    let tls = tls_connector(rootcert.as_deref())?;
    Ok(Target { config, tls })
}

/// `url` without what the driver does not read (`sslrootcert`, and `verify-ca` / `verify-full` said as
/// `require`), and the `sslrootcert` file.
fn tls_options(url: &str) -> (String, Option<PathBuf>) {
    let mut rootcert = None;
    let mut keep = |pair: &str| -> Option<String> {
        match pair.split_once('=') {
            Some(("sslrootcert", file)) => {
                rootcert = Some(PathBuf::from(file));
                None
            }
            Some(("sslmode", "verify-ca" | "verify-full")) => Some("sslmode=require".to_owned()),
            _ => Some(pair.to_owned()),
        }
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let pairs: Vec<String> = query.split('&').filter_map(&mut keep).collect();
                let url = match pairs.is_empty() {
                    true => base.to_owned(),
                    false => format!("{base}?{}", pairs.join("&")),
                };
                (url, rootcert)
            }
            None => (url.to_owned(), None),
        }
    } else {
        let pairs: Vec<String> = url.split_whitespace().filter_map(&mut keep).collect();
        (pairs.join(" "), rootcert)
    }
}

/// TLS with rustls: the public roots, and the CAs of `rootcert` when given.
fn tls_connector(rootcert: Option<&Path>) -> Result<MakeRustlsConnect, PgOpenError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(file) = rootcert {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
            .and_then(|certs| certs.collect())
            .map_err(|e| PgOpenError::RootCert {
                file: file.to_owned(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(PgOpenError::RootCert {
                file: file.to_owned(),
                reason: "no certificate in it".into(),
            });
        }
        for cert in certs {
            roots.add(cert).map_err(|e| PgOpenError::RootCert {
                file: file.to_owned(),
                reason: e.to_string(),
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| PgOpenError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A pool of connections to the database `target` names.
pub fn pool(target: &Target, size: usize) -> Result<Pool, PgOpenError> {
    let manager = Manager::from_config(
        target.config.clone(),
        target.tls.clone(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(Duration::from_secs(10)))
        .wait_timeout(Some(Duration::from_secs(30)))
        .build()
        .map_err(|e| PgOpenError::Pool(Box::new(e)))
}

/// What went wrong getting a connection, once (the pool wraps the driver's error, which wraps the cause).
pub fn pool_error(e: &deadpool_postgres::PoolError) -> String {
    use std::error::Error;
    let mut innermost: &dyn Error = e;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    match e {
        deadpool_postgres::PoolError::Backend(db) => match db.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => innermost.to_string(),
        },
        _ => innermost.to_string(),
    }
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

pub struct PgStore {
    /// Connections for reads.
    readers: Pool,
    /// Connections for write transactions: apart, so requests holding a transaction (and waiting for the
    /// write lock) never take every connection a read needs.
    writers: Pool,
    /// Moves with every commit of any instance (this one's at once, others' when announced).
    commits: Arc<watch::Sender<u64>>,
    /// Ends the listener when the store is dropped.
    _listener: tokio::task::AbortHandle,
}

impl PgStore {
    /// Connects to the database at `url`, migrates it (under the migration lock) and starts listening for
    /// other instances' commits.
    pub async fn open(url: &str, now: Timestamp) -> Result<Self, PgOpenError> {
        let to = target(url)?;
        let readers = pool(&to, READERS)?;
        let writers = pool(&to, WRITERS)?;
        let mut client = writers.get().await.map_err(|e| PgOpenError::Connect {
            target: describe(&to.config),
            reason: pool_error(&e),
        })?;
        schema::migrate(&mut client, now.as_millisecond()).await?;
        drop(client);
        let commits = Arc::new(watch::Sender::new(0u64));
        let listener = tokio::spawn(listen(to, commits.clone())).abort_handle();
        Ok(Self {
            readers,
            writers,
            commits,
            _listener: listener,
        })
    }

    async fn connection(&self) -> StoreResult<Object> {
        self.readers.get().await.map_err(backend)
    }
}

/// Listens for commits announced by any instance and moves `commits` for each; reconnects after a lost
/// connection (and moves `commits` then too: announcements may have been missed meanwhile).
async fn listen(to: Target, commits: Arc<watch::Sender<u64>>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match to.config.connect(to.tls.clone()).await {
            Ok((client, mut connection)) => {
                let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let subscribed = async { client.batch_execute(&format!("LISTEN {CHANNEL}")).await };
                // The connection must be polled for the LISTEN to be answered.
                let mut subscribed = std::pin::pin!(subscribed);
                let ok = loop {
                    tokio::select! {
                        r = &mut subscribed => break r.is_ok(),
                        m = messages.next() => if m.is_none() { break false },
                    }
                };
                if ok {
                    delay = Duration::from_millis(200);
                    commits.send_modify(|n| *n += 1);
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(_)) => commits.send_modify(|n| *n += 1),
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "the PostgreSQL listener lost its connection");
                                break;
                            }
                        }
                    }
                }
                // `client` (the LISTEN) ends here, after the messages stopped.
            }
            Err(e) => tracing::warn!(error = %e, "the PostgreSQL listener cannot connect"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// Runs `f` on `client` on the blocking pool.
async fn on_blocking<T, F>(client: Object, f: F) -> StoreResult<(Object, StoreResult<T>)>
where
    T: Send + 'static,
    F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let result = f(&Connection::Pg(PgConn {
            client: &client,
            runtime: &runtime,
        }));
        (client, result)
    })
    .await
    .map_err(backend)
}

#[async_trait]
impl Engine for PgStore {
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static,
    {
        let client = self.connection().await?;
        on_blocking(client, f).await?.1
    }

    async fn read_point<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.read(f).await
    }

    async fn open_tx(&self, org: Option<Uuid>) -> StoreResult<Box<dyn WriteTx>> {
        let client = self.writers.get().await.map_err(backend)?;
        let begin = match org {
            None => format!("BEGIN; SELECT pg_advisory_xact_lock({})", ops::WRITE_LOCK),
            // The write lock first, always: a transaction of the whole store waiting for it holds no
            // organization's lock, so the two kinds never wait for each other in a circle.
            Some(org) => {
                let (class, key) = ops::org_lock(org);
                format!(
                    "BEGIN; SELECT pg_advisory_xact_lock_shared({}); SELECT pg_advisory_xact_lock({class}, {key})",
                    ops::WRITE_LOCK
                )
            }
        };
        // Dropped while it waits for a lock (its request was cancelled): rolled back before the pool gives
        // the connection out again, as any unfinished transaction.
        let tx = TxConn(Some(client));
        tx.client()?.batch_execute(&begin).await.map_err(backend)?;
        Ok(Box::new(PgTx {
            conn: Some(tx),
            commits: self.commits.clone(),
            org,
        }))
    }

    /// One statement in a transaction of its own (autocommit) on a writer connection: no write lock, no
    /// announcement.
    async fn claim<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static,
    {
        let client = self.writers.get().await.map_err(backend)?;
        on_blocking(client, f).await?.1
    }

    async fn point_session(&self, token_hash: &str) -> StoreResult<Option<SessionView>> {
        let h = token_hash.to_owned();
        self.read(move |c| ops::session(c, &h)).await
    }

    async fn point_general_settings(&self, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>> {
        self.read(move |c| ops::general_settings(c, org_id)).await
    }

    async fn point_settings_doc(&self, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>> {
        let area = area.to_owned();
        self.read(move |c| ops::settings_doc(c, org_id, &area)).await
    }

    fn commit_watch(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }
}

/// A pooled connection inside an open transaction: rolled back when dropped before its commit.
struct TxConn(Option<Object>);

impl Drop for TxConn {
    fn drop(&mut self) {
        let Some(client) = self.0.take() else { return };
        match tokio::runtime::Handle::try_current() {
            // Back to the pool only once rolled back; a connection that cannot roll back is closed.
            Ok(runtime) => {
                runtime.spawn(async move {
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(client));
                    }
                });
            }
            Err(_) => drop(Object::take(client)),
        }
    }
}

impl TxConn {
    fn client(&self) -> StoreResult<&Object> {
        self.0
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("transaction already ended".into()))
    }
}

pub struct PgTx {
    /// `None` only while an operation runs on the blocking pool (or after it was cancelled there).
    conn: Option<TxConn>,
    commits: Arc<watch::Sender<u64>>,
    /// The organization it is confined to (`Store::begin_org`), if any.
    org: Option<Uuid>,
}

#[async_trait]
impl TxEngine for PgTx {
    async fn run<T, F>(&mut self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection<'_>) -> StoreResult<T> + Send + 'static,
    {
        let mut tx = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Corrupt("transaction already ended".into()))?;
        let client =
            tx.0.take()
                .ok_or_else(|| StoreError::Corrupt("transaction already ended".into()))?;
        // Cancelled while the operation runs: its connection is rolled back when the answer is dropped.
        let runtime = tokio::runtime::Handle::current();
        let (tx, result) = tokio::task::spawn_blocking(move || {
            let result = f(&Connection::Pg(PgConn {
                client: &client,
                runtime: &runtime,
            }));
            (TxConn(Some(client)), result)
        })
        .await
        .map_err(backend)?;
        self.conn = Some(tx);
        result
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<()> {
        let mut tx = self
            .conn
            .take()
            .ok_or_else(|| StoreError::Corrupt("transaction already ended".into()))?;
        let client = tx.client()?;
        // The announcement is delivered only if the commit succeeds, and after it.
        client
            .batch_execute(&format!("NOTIFY {CHANNEL}; COMMIT"))
            .await
            .map_err(|e| ops::db_err(e.into()))?;
        // Committed: the connection goes back to the pool as it is.
        drop(tx.0.take());
        self.commits.send_modify(|n| *n += 1);
        Ok(())
    }

    fn confined_to(&self) -> Option<Uuid> {
        self.org
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_and_libpqs_verify_modes_are_read_from_either_form() {
        assert_eq!(
            tls_options("host=db user=o sslmode=verify-full sslrootcert=/etc/ca.pem dbname=x"),
            (
                "host=db user=o sslmode=require dbname=x".to_owned(),
                Some(PathBuf::from("/etc/ca.pem"))
            )
        );
        assert_eq!(
            tls_options("postgres://o@db/x?sslrootcert=/etc/ca.pem&sslmode=verify-ca"),
            (
                "postgres://o@db/x?sslmode=require".to_owned(),
                Some(PathBuf::from("/etc/ca.pem"))
            )
        );
        assert_eq!(
            tls_options("postgres://o@db/x?sslrootcert=/etc/ca.pem"),
            ("postgres://o@db/x".to_owned(), Some(PathBuf::from("/etc/ca.pem")))
        );
        assert_eq!(tls_options("postgres://o@db/x"), ("postgres://o@db/x".to_owned(), None));
    }

    #[test]
    fn tls_only_when_required() {
        let mode = |url: &str| target(url).unwrap().config.get_ssl_mode();
        assert_eq!(mode("host=db sslmode=require"), SslMode::Require);
        assert_eq!(mode("host=db sslmode=verify-full"), SslMode::Require);
        assert_eq!(mode("host=db"), SslMode::Disable);
        assert_eq!(mode("host=db sslmode=prefer"), SslMode::Disable);
        let Err(err) = target("host=db sslmode=require sslrootcert=/nonexistent/ca.pem") else {
            panic!("a missing CA file was taken")
        };
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
