//! The mail queue's storage traits on either engine.

use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{MailReads, MailWrites, OutboxMail, StoreResult};

#[async_trait]
impl<E: Engine> MailReads for E {
    async fn queued_mail(&self, limit: u32) -> StoreResult<Vec<OutboxMail>> {
        self.read(move |c| ops::queued_mail(c, limit)).await
    }
}

#[async_trait]
impl<T: TxEngine> MailWrites for T {
    async fn queue_mail(&mut self, mail: &OutboxMail) -> StoreResult<()> {
        let mail = mail.clone();
        self.run(move |c| ops::queue_mail(c, &mail)).await
    }

    async fn mail_delivered(&mut self, id: Uuid, at: Timestamp) -> StoreResult<()> {
        self.run(move |c| ops::mail_delivered(c, id, at)).await
    }

    async fn mail_attempt_failed(&mut self, id: Uuid, error: &str) -> StoreResult<u32> {
        let error = error.to_owned();
        self.run(move |c| ops::mail_attempt_failed(c, id, &error)).await
    }

    async fn mail_given_up(&mut self, id: Uuid, error: &str, at: Timestamp) -> StoreResult<()> {
        let error = error.to_owned();
        self.run(move |c| ops::mail_given_up(c, id, &error, at)).await
    }
}
