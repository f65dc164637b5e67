//! orgdeck server: the HTTP API that enforces every organization setting.
//!
//! [`spawn`] starts a server inside any tokio program (the console's demo mode and every test use it);
//! [`init_org`], [`create_user`] and [`demo::seed`] prepare a data directory without a running server.

pub mod auth;
pub mod background;
pub mod clock;
pub mod config;
pub mod data_dir;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod http;
pub mod mail;
pub mod migrate;
pub mod orgs;
/// The one client for user-supplied URLs (integrations, webhooks), with the SSRF rules.
pub mod outbound;
/// A PostgreSQL server for tests (the `testkit` feature).
#[cfg(feature = "testkit")]
pub mod pg_test;
pub mod routes;
pub mod secret_box;
/// Bulk data for benchmarks and tests; not in the shipped server (the `testkit` feature).
#[cfg(feature = "testkit")]
pub mod seed;
pub mod services;
pub mod state;
pub mod store;
pub mod watch;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ServerConfig, TlsFiles};
pub use orgs::{
    Database, OrgCreated, OrgError, UserCreated, create_user, disable_integration, disable_user, init_org,
    password_hash_of,
};
#[cfg(feature = "testkit")]
pub use seed::{SEED_PASSWORD, SeedError, seed_audit, seed_users};

/// Whether `password` matches a stored argon2id PHC string (blocking; the benchmark compares login
/// latency with one verify).
#[cfg(feature = "testkit")]
pub fn verify_password(phc: &str, password: &str) -> bool {
    auth::password::verify(password, phc)
}

use crate::{
    auth::password::{PasswordError, Passwords},
    data_dir::DataDirError,
    http::{
        serve::{ServeOptions, listen, serve},
        tls::TlsError,
    },
    mail::MailError,
    secret_box::KeyFileError,
    state::AppState,
    store::{
        Store,
        sqlite::{OpenError, SqliteStore},
    },
};

/// Why [`spawn`] could not start the server; each case names the file, directory or address.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The data directory cannot be created or locked (another server serves it).
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot open the database in {}", .dir.display())]
    Database { dir: PathBuf, source: OpenError },
    #[error(transparent)]
    Postgres(#[from] crate::store::postgres::PgOpenError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Passwords(#[from] PasswordError),
    #[error("preparing password verification did not finish")]
    Task(#[source] tokio::task::JoinError),
    #[error(transparent)]
    SecretKey(#[from] KeyFileError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("mail sender {from:?} is not an address")]
    MailSender {
        from: String,
        source: lettre::address::AddressError,
    },
    #[error(transparent)]
    Outbound(#[from] outbound::SetupError),
    #[error("cannot listen on {addr}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// A running server. Dropping it does not stop the server; call [`ServerHandle::shutdown`].
pub struct ServerHandle {
    /// The address the server is bound to (the real port when configured with port 0).
    pub addr: SocketAddr,
    tls: bool,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Tells long answers (the live-update stream) to end at shutdown.
    closing: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    mail: Option<background::WorkerHandle>,
    deliveries: Option<background::WorkerHandle>,
    watch: Option<background::WorkerHandle>,
    /// The data directory's lock, shared with the serving task: released once both are done (after
    /// [`ServerHandle::shutdown`], or never while a dropped handle's server still runs).
    _lock: Arc<data_dir::ServeLock>,
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT` or `https://...` when TLS is configured.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting connections, ends live-update streams, lets requests in flight finish, stops the mail and delivery workers (what
    /// is not yet delivered stays queued for the next start), and waits for the server to stop.
    pub async fn shutdown(mut self) {
        self.closing.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(mail) = self.mail.take() {
            mail.stop().await;
        }
        if let Some(deliveries) = self.deliveries.take() {
            deliveries.stop().await;
        }
        if let Some(watch) = self.watch.take() {
            watch.stop().await;
        }
    }

    /// Waits until the server stops (it only stops through [`ServerHandle::shutdown`] or a fatal error).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Locks `config.data_dir` for this server (refused while another serves it), opens (and migrates) the
/// store in it, binds `config.listen` and serves in the background.
pub async fn spawn(config: ServerConfig) -> Result<ServerHandle, SpawnError> {
    data_dir::prepare(&config.data_dir)?;
    let lock = Arc::new(data_dir::ServeLock::acquire(&config.data_dir)?);
    let tls = match &config.tls {
        Some(files) => Some(http::tls::acceptor(&files.cert, &files.key)?),
        None => None,
    };
    let store: Arc<dyn Store> = match &config.database {
        Some(url) => {
            if config.secret_key.is_none() {
                return Err(crate::config::ConfigError::SecretKeyRequired.into());
            }
            Arc::new(crate::store::postgres::PgStore::open(url, config.clock.now()).await?)
        }
        None => Arc::new(
            SqliteStore::open(&config.data_dir, config.clock.now())
                .await
                .map_err(|source| SpawnError::Database {
                    dir: config.data_dir.clone(),
                    source,
                })?,
        ),
    };
    let passwords = Arc::new(
        tokio::task::spawn_blocking(Passwords::new)
            .await
            .map_err(SpawnError::Task)??,
    );
    let secret_box = Arc::new(secret_box::SecretBox::load(config.secret_key, &config.data_dir)?);
    let mail_queue = Arc::new(mail::MailQueue::default());
    let transport = mail::transport::Transport::new(&config.mail, &config.data_dir)?;
    let from: lettre::message::Mailbox = config.mail.from.parse().map_err(|source| SpawnError::MailSender {
        from: config.mail.from.clone(),
        source,
    })?;
    tracing::info!(%from, "mail goes to {}", transport.describe());
    // The workers' name in their claims of queued work. Alone on SQLite (the data directory is locked),
    // a restarted server takes back what it held at once; on a shared database each process is apart, and
    // what a dead one held is taken over when its lease runs out.
    let worker_id = match config.database {
        Some(_) => format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
        None => "local".to_owned(),
    };
    let mail_worker = mail::worker::Worker {
        store: store.clone(),
        secret_box: secret_box.clone(),
        clock: config.clock.clone(),
        queue: mail_queue.clone(),
        transport,
        from,
        timeout: config.mail.timeout,
        retry: config.mail.retry,
        shared: config.database.is_some(),
        id: worker_id.clone(),
    };
    // On a shared database, the mail worker runs where the delivery worker does (`delivery_worker = false`
    // makes an instance that only serves); alone on SQLite, always.
    let mail_worker = (config.delivery.worker || config.database.is_none()).then_some(mail_worker);
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    // Instances sharing a database share the login limit.
    let login_limiter = Arc::new(match config.database {
        Some(_) => crate::auth::rate_limit::LoginLimiter::shared(config.login_attempts_per_minute, store.clone()),
        None => crate::auth::rate_limit::LoginLimiter::new(config.login_attempts_per_minute),
    });
    let state = AppState::new(crate::state::Services {
        store,
        secret_box,
        mail: mail_queue,
        deliveries: Arc::new(tokio::sync::Notify::new()),
        clock: config.clock.clone(),
        passwords,
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        login_limiter,
        closing: closing_rx,
        outbound: outbound::Outbound::new(config.outbound.clone())?,
    });
    let delivery_worker = config.delivery.worker.then(|| delivery::worker::Worker {
        state: state.clone(),
        config: config.delivery.clone(),
        id: worker_id,
        shared: config.database.is_some(),
    });
    // The server's own events: with the delivery worker (one instance raises them).
    let watch = config.delivery.worker.then(|| watch::Watch {
        state: state.clone(),
        config: config.watch,
    });
    let app = routes::router(
        state,
        routes::Limits {
            body_limit: config.body_limit,
            request_timeout: config.request_timeout,
            tls: tls.is_some(),
        },
    );
    let listen_error = |source| SpawnError::Listen {
        addr: config.listen,
        source,
    };
    let listener = listen(config.listen).map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let is_tls = tls.is_some();
    let opts = ServeOptions {
        max_connections: config.max_connections,
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
        keepalive_interval: config.keepalive_interval,
        tls,
        drain_timeout: config.request_timeout + Duration::from_secs(1),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task_lock = lock.clone();
    let task = tokio::spawn(async move {
        serve(listener, app, opts, rx).await;
        drop(task_lock);
    });
    tracing::info!(%addr, tls = is_tls, "orgdeck server listening");
    Ok(ServerHandle {
        addr,
        tls: is_tls,
        shutdown: Some(tx),
        closing,
        task: Some(task),
        mail: mail_worker.map(mail::worker::Worker::start),
        deliveries: delivery_worker.map(delivery::worker::Worker::start),
        watch: watch.map(watch::Watch::start),
        _lock: lock,
    })
}
