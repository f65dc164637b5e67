//! The mail queue's storage: mail is queued inside the write transaction of what causes it and
//! delivered later by [`crate::mail::worker`]. Bodies are stored sealed (they may hold a code) and
//! cleared once the mail is delivered or given up.

use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

use super::StoreResult;

/// One queued message. `Debug` leaves out the sealed body.
#[derive(Clone)]
pub struct OutboxMail {
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    /// The text body sealed with the server key (context: the id).
    pub sealed_body: Vec<u8>,
    pub created_at: Timestamp,
    /// Failed delivery attempts so far.
    pub attempts: u32,
}

impl std::fmt::Debug for OutboxMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMail")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("subject", &self.subject)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait MailReads {
    /// Claims mail to deliver for `worker` until `lease_until`, oldest first, at most `limit`: messages
    /// nobody holds, those whose claim ran out by `now`, and `worker`'s own (`ops::claim_mail`). Several
    /// instances on one database each get different messages.
    async fn claim_mail(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMail>>;

    /// Lets go of everything `worker` holds (it stops); returns how many messages.
    async fn release_mail(&self, worker: &str) -> StoreResult<u64>;

    /// When the first claim another worker holds on queued mail runs out, if any does.
    async fn next_mail_lease_end(&self, worker: &str) -> StoreResult<Option<Timestamp>>;
}

#[async_trait]
pub trait MailWrites {
    async fn queue_mail(&mut self, mail: &OutboxMail) -> StoreResult<()>;

    /// Delivered: the body is cleared. False when `worker` no longer holds the claim (taken over).
    async fn mail_delivered(&mut self, id: Uuid, worker: &str, at: Timestamp) -> StoreResult<bool>;

    /// A failed attempt: `worker` holds the message until `retry_at`. Returns the attempts so far, or
    /// `None` when `worker` no longer holds the claim.
    async fn mail_attempt_failed(
        &mut self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> StoreResult<Option<u32>>;

    /// No more attempts: the body is cleared, the mail stays as `failed`.
    async fn mail_given_up(&mut self, id: Uuid, worker: &str, error: &str, at: Timestamp) -> StoreResult<bool>;
}
