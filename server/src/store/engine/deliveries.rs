//! The delivery storage traits on either engine: each method runs its `ops` function off the async threads.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::integrations::Delivery;
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{DeliveryReads, DeliveryRow, DeliveryUpdate, DeliveryWrites, StoreResult};

#[async_trait]
impl<E: Engine> DeliveryReads for E {
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRow>> {
        let worker = worker.to_owned();
        self.claim(move |c| ops::claim_deliveries(c, &worker, now, lease_until, limit))
            .await
    }

    async fn release_deliveries(&self, worker: &str) -> StoreResult<u64> {
        let worker = worker.to_owned();
        self.claim(move |c| ops::release_deliveries(c, &worker)).await
    }

    async fn next_delivery_due(&self) -> StoreResult<Option<Timestamp>> {
        self.read_point(ops::next_delivery_due).await
    }

    async fn deliveries(
        &self,
        org_id: Uuid,
        integration_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.read(move |c| ops::deliveries(c, org_id, integration_id, before, limit))
            .await
    }
}

#[async_trait]
impl<T: TxEngine> DeliveryWrites for T {
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> StoreResult<()> {
        let rows = rows.to_vec();
        self.run(move |c| ops::insert_deliveries(c, &rows)).await
    }

    async fn delivery_tx(&mut self, org_id: Uuid, integration_id: Uuid, id: Uuid) -> StoreResult<Option<DeliveryRow>> {
        self.run(move |c| ops::delivery(c, org_id, integration_id, id)).await
    }

    async fn update_delivery(&mut self, update: &DeliveryUpdate) -> StoreResult<bool> {
        let update = update.clone();
        self.run(move |c| ops::update_delivery(c, &update)).await
    }

    async fn prune_deliveries(&mut self, before: Timestamp, keep: u32) -> StoreResult<u64> {
        self.run(move |c| ops::prune_deliveries(c, before, keep)).await
    }
}
