//! The API key storage traits on either engine: each method runs its `ops` function off the async threads
//! (the per-request lookup inline, as session lookups are).

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::api_keys::ApiKeyInfo;
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{ApiKeyCaller, ApiKeyReads, ApiKeyWrites, NewApiKeyRow, StoreResult};

#[async_trait]
impl<E: Engine> ApiKeyReads for E {
    async fn api_key_caller(&self, key_hash: &str) -> StoreResult<Option<ApiKeyCaller>> {
        let key_hash = key_hash.to_owned();
        self.read_point(move |c| ops::api_key_caller(c, &key_hash)).await
    }

    async fn api_keys(
        &self,
        org_id: Uuid,
        user: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<ApiKeyInfo>> {
        self.read(move |c| ops::api_keys(c, org_id, user, after, limit)).await
    }
}

#[async_trait]
impl<T: TxEngine> ApiKeyWrites for T {
    async fn api_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<ApiKeyInfo>> {
        self.run(move |c| ops::api_key(c, org_id, id)).await
    }

    async fn insert_api_key(&mut self, row: &NewApiKeyRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_api_key(c, &row)).await
    }

    async fn rotate_api_key(
        &mut self,
        id: Uuid,
        key_hash: &str,
        prefix: &str,
        at: Timestamp,
        replaced_until: Option<Timestamp>,
    ) -> StoreResult<()> {
        let (key_hash, prefix) = (key_hash.to_owned(), prefix.to_owned());
        self.run(move |c| ops::rotate_api_key(c, id, &key_hash, &prefix, at, replaced_until))
            .await
    }

    async fn delete_api_key(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.run(move |c| ops::delete_api_key(c, org_id, id)).await
    }

    async fn touch_api_key(&mut self, id: Uuid, at: Timestamp) -> StoreResult<()> {
        self.run(move |c| ops::touch_api_key(c, id, at)).await
    }
}
