//! orgdeck server: the HTTP API that enforces every organization setting.
//!
//! Skeleton of the public API the console and the tests build on; the server helper fills it in.

pub mod clock;
pub mod config;
pub mod demo;

use std::net::SocketAddr;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::ServerConfig;

/// A running server. Dropping it does not stop the server; call [`ServerHandle::shutdown`].
pub struct ServerHandle {
    /// The address the server is bound to (the real port when configured with port 0).
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT` or `https://...` when TLS is configured.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server to stop.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Opens (and migrates) the store in `config.data_dir`, binds `config.listen` and serves in the background.
pub async fn spawn(config: ServerConfig) -> anyhow::Result<ServerHandle> {
    let _ = config;
    todo!()
}
