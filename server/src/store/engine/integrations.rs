//! The integration storage traits on either engine: each method runs its `ops` function off the async threads
//! (one integration by id inline, as a point lookup).

use async_trait::async_trait;
use orgdeck_shared::integrations::Integration;
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{IntegrationReads, IntegrationRow, IntegrationWrites, StoreResult};

#[async_trait]
impl<E: Engine> IntegrationReads for E {
    async fn integrations(&self, org_id: Uuid) -> StoreResult<Vec<Integration>> {
        self.read(move |c| ops::integrations(c, org_id)).await
    }

    async fn integration(&self, org_id: Uuid, id: Uuid) -> StoreResult<Option<IntegrationRow>> {
        self.read_point(move |c| ops::integration(c, org_id, id)).await
    }
}

#[async_trait]
impl<T: TxEngine> IntegrationWrites for T {
    async fn integrations_tx(&mut self, org_id: Uuid) -> StoreResult<Vec<Integration>> {
        self.run(move |c| ops::integrations(c, org_id)).await
    }

    async fn integration_tx(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<Option<IntegrationRow>> {
        self.run(move |c| ops::integration(c, org_id, id)).await
    }

    async fn insert_integration(&mut self, org_id: Uuid, row: &IntegrationRow) -> StoreResult<()> {
        let row = row.clone();
        self.run(move |c| ops::insert_integration(c, org_id, &row)).await
    }

    async fn save_integration(&mut self, org_id: Uuid, row: &IntegrationRow, expected: i64) -> StoreResult<i64> {
        let row = row.clone();
        self.run(move |c| ops::save_integration(c, org_id, &row, expected))
            .await
    }

    async fn delete_integration(&mut self, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.run(move |c| ops::delete_integration(c, org_id, id)).await
    }
}
