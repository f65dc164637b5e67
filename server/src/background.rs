//! A background task the server starts and stops with itself (the mail and delivery workers).

use std::future::Future;

use tokio::sync::oneshot;

/// A running worker; [`WorkerHandle::stop`] ends it and waits until it has (work in flight is dropped,
/// and what it was doing stays queued for the next start).
pub struct WorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl WorkerHandle {
    /// Spawns `run`, which ends when the receiver it is given resolves.
    pub fn spawn<F, Fut>(run: F) -> Self
    where
        F: FnOnce(oneshot::Receiver<()>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        WorkerHandle {
            stop: Some(tx),
            task: Some(tokio::spawn(run(rx))),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
