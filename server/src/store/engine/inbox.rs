//! The inbox storage traits on either engine: each method runs its `ops` function off the async threads.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::inbox::InboxEntry;
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{InboxReads, InboxWrites, NewInboxRow, StoreResult};

#[async_trait]
impl<E: Engine> InboxReads for E {
    async fn inbox(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        unread_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<InboxEntry>> {
        self.read(move |c| ops::inbox(c, org_id, user_id, unread_only, before, limit))
            .await
    }

    async fn inbox_unread(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<u64> {
        self.read_point(move |c| ops::inbox_unread(c, org_id, user_id)).await
    }
}

#[async_trait]
impl<T: TxEngine> InboxWrites for T {
    async fn insert_inbox_entries(&mut self, rows: &[NewInboxRow]) -> StoreResult<()> {
        let rows = rows.to_vec();
        self.run(move |c| ops::insert_inbox_entries(c, &rows)).await
    }

    async fn mark_inbox_read(&mut self, org_id: Uuid, user_id: Uuid, id: Uuid, at: Timestamp) -> StoreResult<bool> {
        self.run(move |c| ops::mark_inbox_read(c, org_id, user_id, id, at))
            .await
    }

    async fn mark_inbox_all_read(&mut self, org_id: Uuid, user_id: Uuid, at: Timestamp) -> StoreResult<u64> {
        self.run(move |c| ops::mark_inbox_all_read(c, org_id, user_id, at))
            .await
    }

    async fn inbox_unread_tx(&mut self, org_id: Uuid, user_id: Uuid) -> StoreResult<u64> {
        self.run(move |c| ops::inbox_unread(c, org_id, user_id)).await
    }
}
