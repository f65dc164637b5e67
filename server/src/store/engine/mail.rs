//! The mail queue's storage traits on either engine.

use async_trait::async_trait;
use jiff::Timestamp;
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{MailReads, MailWrites, OutboxMail, StoreResult};

#[async_trait]
impl<E: Engine> MailReads for E {
    async fn claim_mail(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMail>> {
        let worker = worker.to_owned();
        self.claim(move |c| ops::claim_mail(c, &worker, now, lease_until, limit))
            .await
    }

    async fn release_mail(&self, worker: &str) -> StoreResult<u64> {
        let worker = worker.to_owned();
        self.claim(move |c| ops::release_mail(c, &worker)).await
    }

    async fn next_mail_lease_end(&self, worker: &str) -> StoreResult<Option<Timestamp>> {
        let worker = worker.to_owned();
        self.read(move |c| ops::next_mail_lease_end(c, &worker)).await
    }
}

#[async_trait]
impl<T: TxEngine> MailWrites for T {
    async fn queue_mail(&mut self, mail: &OutboxMail) -> StoreResult<()> {
        let mail = mail.clone();
        self.run(move |c| ops::queue_mail(c, &mail)).await
    }

    async fn mail_delivered(&mut self, id: Uuid, worker: &str, at: Timestamp) -> StoreResult<bool> {
        let worker = worker.to_owned();
        self.run(move |c| ops::mail_delivered(c, id, &worker, at)).await
    }

    async fn mail_attempt_failed(
        &mut self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> StoreResult<Option<u32>> {
        let (worker, error) = (worker.to_owned(), error.to_owned());
        self.run(move |c| ops::mail_attempt_failed(c, id, &worker, &error, retry_at))
            .await
    }

    async fn mail_given_up(&mut self, id: Uuid, worker: &str, error: &str, at: Timestamp) -> StoreResult<bool> {
        let (worker, error) = (worker.to_owned(), error.to_owned());
        self.run(move |c| ops::mail_given_up(c, id, &worker, &error, at)).await
    }
}
