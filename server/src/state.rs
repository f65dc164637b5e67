//! What every handler can reach: the store, the clock, the password verifier and the mail queue.

use std::sync::Arc;

use ipnet::IpNet;

use crate::{
    auth::{password::Passwords, rate_limit::LoginLimiter},
    clock::Clock,
    store::Store,
};

/// What every handler can reach, shared: one reference count to move per request, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub store: Arc<dyn Store>,
    /// Encrypts TOTP secrets at rest with the server key.
    pub secret_box: Arc<crate::secret_box::SecretBox>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Arc<Passwords>,
    pub trusted_proxies: Arc<Vec<IpNet>>,
    /// Wakes the mail worker after a commit that queued mail.
    pub mail: Arc<crate::mail::MailQueue>,
    /// Wakes the delivery worker after a commit that queued channel deliveries.
    pub deliveries: Arc<tokio::sync::Notify>,
    /// Login attempts per client address.
    pub login_limiter: Arc<LoginLimiter>,
    /// Becomes true when the server starts shutting down: long answers (the live-update stream) end
    /// then, so their connections close and clients reconnect (elsewhere, or once it is back).
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// The one client for user-supplied URLs (integrations), with the SSRF protections of its policy.
    pub outbound: crate::outbound::Outbound,
}

impl Services {
    /// Resolves once the server is shutting down (never, for a server whose handle was dropped).
    pub async fn closed(&self) {
        let mut closing = self.closing.clone();
        if closing.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
