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
    /// Mail still to deliver, oldest first, at most `limit`.
    async fn queued_mail(&self, limit: u32) -> StoreResult<Vec<OutboxMail>>;
}

#[async_trait]
pub trait MailWrites {
    async fn queue_mail(&mut self, mail: &OutboxMail) -> StoreResult<()>;

    /// Delivered: the body is cleared.
    async fn mail_delivered(&mut self, id: Uuid, at: Timestamp) -> StoreResult<()>;

    /// A failed attempt; returns the attempts so far.
    async fn mail_attempt_failed(&mut self, id: Uuid, error: &str) -> StoreResult<u32>;

    /// No more attempts: the body is cleared, the mail stays as `failed`.
    async fn mail_given_up(&mut self, id: Uuid, error: &str, at: Timestamp) -> StoreResult<()>;
}
