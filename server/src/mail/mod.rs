//! Outgoing mail. A change that sends mail queues it ([`enqueue`]) in its own write transaction, so
//! the mail exists exactly when the change does; the [`worker`] delivers it off the request path,
//! woken after the commit ([`MailQueue::wake`]) and by its retry timers, through the configured
//! [`transport`]: an SMTP relay or the file outbox.

pub mod config;
pub mod transport;
pub mod worker;

use jiff::Timestamp;
use uuid::Uuid;

pub use config::{MailConfig, MailTransport, RetryPolicy, SmtpConfig, SmtpSecurity, TransportKind};

use crate::{
    secret_box::{SecretBox, SecretBoxError},
    store::{OutboxMail, StoreError, WriteTx, uuid_v7_at},
};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("outbox: {0}")]
    Io(#[from] std::io::Error),
    #[error("delivery took longer than {0} s")]
    Timeout(u64),
    #[error("the queued body does not open with the server key")]
    Sealed,
    /// Sealing a body to queue it failed.
    #[error(transparent)]
    Seal(#[from] SecretBoxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Wakes the delivery worker. A wake while it is busy is kept for when it next waits.
#[derive(Debug, Default)]
pub struct MailQueue {
    notify: tokio::sync::Notify,
}

impl MailQueue {
    /// Call after committing a transaction that queued mail.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    async fn woken(&self) {
        self.notify.notified().await;
    }
}

/// A message to queue: plain text to one recipient.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub org_id: Option<Uuid>,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

fn seal_context(id: Uuid) -> Vec<u8> {
    format!("orgdeck mail {id}").into_bytes()
}

/// Queues `mail` inside `tx`, its body sealed with the server key; returns its id.
pub async fn enqueue(
    tx: &mut dyn WriteTx,
    secret_box: &SecretBox,
    now: Timestamp,
    mail: NewMail<'_>,
) -> Result<Uuid, MailError> {
    let id = uuid_v7_at(now);
    let sealed_body = secret_box.seal(&seal_context(id), mail.body.as_bytes())?;
    tx.queue_mail(&OutboxMail {
        id,
        org_id: mail.org_id,
        recipient: mail.to.to_owned(),
        subject: mail.subject.to_owned(),
        sealed_body,
        created_at: now,
        attempts: 0,
    })
    .await?;
    Ok(id)
}

/// An address as people may be shown it: `a•••@example.com` (the first character of the local part).
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_to_their_first_letter_and_domain() {
        assert_eq!(mask_email("alice@example.com"), "a•••@example.com");
        assert_eq!(mask_email("é@x.example"), "é•••@x.example");
        assert_eq!(mask_email("nonsense"), "•••");
    }
}
