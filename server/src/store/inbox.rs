//! The storage traits of the in-app inbox (split from [`super::Store`] and [`super::WriteTx`]): one row
//! per recipient of each event the notification settings deliver in-app, written in the transaction that
//! stores the event, read and marked by that recipient only.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::inbox::InboxEntry;
use uuid::Uuid;

use super::StoreResult;

/// An entry to store for `user_id` of `org_id`.
#[derive(Debug, Clone)]
pub struct NewInboxRow {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub entry: InboxEntry,
}

#[async_trait]
pub trait InboxReads {
    /// The user's entries older than `before` (by id; ids grow with time), newest first, at most `limit`.
    async fn inbox(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        unread_only: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<InboxEntry>>;

    /// How many of the user's entries are unread.
    async fn inbox_unread(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<u64>;
}

#[async_trait]
pub trait InboxWrites {
    async fn insert_inbox_entries(&mut self, rows: &[NewInboxRow]) -> StoreResult<()>;

    /// Marks one of the user's entries read (an entry read before keeps its time); false when the user
    /// has no such entry (another user's entry is no such entry).
    async fn mark_inbox_read(&mut self, org_id: Uuid, user_id: Uuid, id: Uuid, at: Timestamp) -> StoreResult<bool>;

    /// Marks every unread entry of the user read.
    async fn mark_inbox_all_read(&mut self, org_id: Uuid, user_id: Uuid, at: Timestamp) -> StoreResult<u64>;

    /// How many of the user's entries are unread, as this transaction sees it.
    async fn inbox_unread_tx(&mut self, org_id: Uuid, user_id: Uuid) -> StoreResult<u64>;
}
