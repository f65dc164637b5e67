//! The storage traits of API keys (split from [`super::Store`] and [`super::WriteTx`] to keep each file
//! small). Keys are kept as SHA-256 hashes with a short display prefix; the key itself never reaches the
//! store.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{api_keys::ApiKeyInfo, auth::OrgRole, users::UserStatus};
use uuid::Uuid;

use super::StoreResult;

/// Who a presented key belongs to, read with what every request checks (as a session is).
#[derive(Debug, Clone)]
pub struct ApiKeyCaller {
    pub key_id: Uuid,
    pub prefix: String,
    pub org_id: Uuid,
    pub org_name: String,
    pub user_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: OrgRole,
    pub user_enabled: bool,
    pub user_status: UserStatus,
    pub last_used_at: Option<Timestamp>,
    /// The organization's `ip_restrictions` document.
    pub ip_doc: Option<String>,
    /// The presented key is the one a rotation replaced: it works until then.
    pub replaced_until: Option<Timestamp>,
}

/// A key to store: its hash and display prefix, never the key.
#[derive(Debug, Clone)]
pub struct NewApiKeyRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub key_hash: String,
    pub prefix: String,
    pub at: Timestamp,
}

#[async_trait]
pub trait ApiKeyReads {
    /// The key with this hash (current, or replaced and maybe still in its grace period).
    async fn api_key_caller(&self, key_hash: &str) -> StoreResult<Option<ApiKeyCaller>>;

    /// Keys of the organization (of one user when `user` is given), by id, after `after`, at most `limit`.
    async fn api_keys(
        &self,
        org_id: Uuid,
        user: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<ApiKeyInfo>>;
}

#[async_trait]
pub trait ApiKeyWrites {
    /// One key of the organization as this transaction sees it.
    async fn api_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<ApiKeyInfo>>;

    /// Stores a new key; `Conflict` when the user has one already.
    async fn insert_api_key(&mut self, row: &NewApiKeyRow) -> StoreResult<()>;

    /// Replaces the key's hash; the replaced one keeps working until `replaced_until` (`None`: stops now).
    async fn rotate_api_key(
        &mut self,
        id: Uuid,
        key_hash: &str,
        prefix: &str,
        at: Timestamp,
        replaced_until: Option<Timestamp>,
    ) -> StoreResult<()>;

    /// Revokes a key (and a replaced one in its grace period); false when there was none.
    async fn delete_api_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool>;

    /// Moves the key's `last_used_at` forward.
    async fn touch_api_key(&mut self, id: Uuid, at: Timestamp) -> StoreResult<()>;
}
