//! The storage traits of integrations (split from [`super::Store`] and [`super::WriteTx`] to keep each file
//! small). A row holds the integration as the API shows it and its secrets sealed with the server key:
//! the store never sees a secret in the clear, and reading a list never opens one.

use async_trait::async_trait;
use orgdeck_shared::integrations::Integration;
use uuid::Uuid;

use super::StoreResult;

/// One stored integration: what the API answers (secrets only as set or not) and the sealed secrets.
#[derive(Clone)]
pub struct IntegrationRow {
    pub view: Integration,
    /// The kind's secret fields as one JSON object (`{"token": "..."}`), sealed with the server key and
    /// bound to the integration's id; `None` when none is set.
    pub sealed_secrets: Option<Vec<u8>>,
}

/// Leaves the sealed bytes out: a log line should not even carry the ciphertext.
impl std::fmt::Debug for IntegrationRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationRow")
            .field("view", &self.view)
            .field("sealed_secrets", &self.sealed_secrets.as_ref().map(|_| "sealed"))
            .finish()
    }
}

/// The key that makes names unique per organization regardless of case (Unicode lower case, which SQLite's
/// `lower()` is not).
pub fn integration_name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[async_trait]
pub trait IntegrationReads {
    /// The organization's integrations, by name (case-insensitively).
    async fn integrations(&self, org_id: Uuid) -> StoreResult<Vec<Integration>>;

    /// One integration of the organization (`None` for another organization's id).
    async fn integration(&self, org_id: Uuid, id: Uuid) -> StoreResult<Option<IntegrationRow>>;
}

#[async_trait]
pub trait IntegrationWrites {
    /// The organization's integrations as this transaction sees them (the unique-name check).
    async fn integrations_tx(&mut self, org_id: Uuid) -> StoreResult<Vec<Integration>>;

    /// One integration as this transaction sees it.
    async fn integration_tx(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<IntegrationRow>>;

    /// Stores a new integration; `Conflict` when the organization has one of that name.
    async fn insert_integration(&mut self, org_id: Uuid, row: &IntegrationRow) -> StoreResult<()>;

    /// Writes the whole row over version `expected`; returns the new version (`VersionMismatch` when
    /// another write came first, `NotFound` when it is gone).
    async fn save_integration(&mut self, org_id: Uuid, row: &IntegrationRow, expected: i64) -> StoreResult<i64>;

    /// Removes an integration; false when there was none.
    async fn delete_integration(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool>;
}
