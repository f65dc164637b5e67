//! The storage traits of channel deliveries (split from [`super::Store`] and [`super::WriteTx`]): one row
//! per event and channel, written in the transaction that stores the event (the outbox), sent after the
//! commit by [`crate::delivery`]'s worker, and kept as the channel's delivery log.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    inbox::InboxEntry,
    integrations::{Delivery, DeliveryAttempt, DeliveryStatus},
};
use uuid::Uuid;

use super::StoreResult;

/// One stored delivery: what the log shows, and the event it carries as the inbox words it (rendered in
/// the channel's format at each attempt, with the channel's settings of that moment).
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub org_id: Uuid,
    pub view: Delivery,
    pub notice: InboxEntry,
    /// Attempts since the delivery was made or last redelivered (the schedule's place).
    pub tries: u32,
}

/// What an attempt changed.
#[derive(Debug, Clone)]
pub struct DeliveryUpdate {
    pub id: Uuid,
    pub status: DeliveryStatus,
    pub tries: u32,
    /// The whole log of attempts to keep (the newest last).
    pub attempts: Vec<DeliveryAttempt>,
    pub next_attempt_at: Option<Timestamp>,
    /// The worker whose claim this attempt records: the update applies only while it holds the claim.
    /// `None` for an administrator's action. Either way the claim ends.
    pub claim: Option<String>,
}

#[async_trait]
pub trait DeliveryReads {
    /// Claims deliveries due by `now` (pending or retrying) for `worker` until `lease_until`, the earliest
    /// due first, at most `limit`: those nobody holds, those whose claim ran out, and `worker`'s own.
    /// Several instances on one database each get different deliveries.
    async fn claim_deliveries(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRow>>;

    /// Lets go of the deliveries `worker` holds (it stops); returns how many.
    async fn release_deliveries(&self, worker: &str) -> StoreResult<u64>;

    /// When the next open delivery is due (or, when a worker holds it, when that claim runs out), if any
    /// is open.
    async fn next_delivery_due(&self) -> StoreResult<Option<Timestamp>>;

    /// A channel's log: its deliveries older than `before` (by id; ids grow with time), newest first.
    async fn deliveries(
        &self,
        org_id: Uuid,
        integration_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
}

#[async_trait]
pub trait DeliveryWrites {
    async fn insert_deliveries(&mut self, rows: &[DeliveryRow]) -> StoreResult<()>;

    /// One delivery of one channel of the organization, as this transaction sees it.
    async fn delivery_tx(&mut self, org_id: Uuid, integration_id: Uuid, id: Uuid) -> StoreResult<Option<DeliveryRow>>;

    /// False when `update.claim` no longer holds the delivery (another worker took it over).
    async fn update_delivery(&mut self, update: &DeliveryUpdate) -> StoreResult<bool>;

    /// Forgets finished deliveries made before `before`, except each channel's newest `keep`; returns how
    /// many went.
    async fn prune_deliveries(&mut self, before: Timestamp, keep: u32) -> StoreResult<u64>;
}
