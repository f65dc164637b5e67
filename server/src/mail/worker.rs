//! The delivery worker: one task per server, started by [`crate::spawn`] and stopped on shutdown. It
//! delivers queued mail oldest first, several at once, each attempt bounded by the timeout, and records
//! a batch in one transaction; a failure is retried with
//! backoff (timers in memory: after a restart everything queued is due at once) until the attempts run
//! out, which is logged and audited. A delivered or abandoned message loses its body.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures_util::{StreamExt, stream};
use lettre::{Message, message::Mailbox, message::header::ContentType};
use orgdeck_shared::audit::{AuditActor, AuditTarget};
use tokio::{sync::oneshot, time::Instant};
use uuid::Uuid;

use super::{MailError, MailQueue, RetryPolicy, mask_email, seal_context, transport::Transport};
use crate::{
    background::WorkerHandle,
    clock::Clock,
    secret_box::SecretBox,
    store::{AuditRecord, OutboxMail, Store},
};

/// Messages read from the queue at a time.
const BATCH: u32 = 200;
/// Messages being sent at once (the outbox's file syncs or an SMTP relay's connections overlap).
const SENDING: usize = 8;

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub secret_box: Arc<SecretBox>,
    pub clock: Arc<dyn Clock>,
    pub queue: Arc<MailQueue>,
    pub transport: Transport,
    pub from: Mailbox,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Also look at the queue after every commit the store hears of: with several instances on one
    /// database, mail queued by another instance (whose own wake does not reach this one).
    pub wake_on_commits: bool,
}

impl Worker {
    /// Starts the worker (an attempt in flight at [`WorkerHandle::stop`] is dropped and the message stays
    /// queued for the next start).
    pub fn start(self) -> WorkerHandle {
        WorkerHandle::spawn(|stop| self.run(stop))
    }

    async fn run(self, mut stop: oneshot::Receiver<()>) {
        // When each message that failed may be tried again.
        let mut not_before: HashMap<Uuid, Instant> = HashMap::new();
        let mut commits = self.store.commits();
        loop {
            let mut next: Option<Instant> = None;
            // A full batch may have more behind it: look again at once rather than wait for a wake.
            let mut more = false;
            let mut attempted = 0usize;
            match self.store.queued_mail(BATCH).await {
                Ok(batch) => {
                    more = batch.len() >= BATCH as usize;
                    not_before.retain(|id, _| batch.iter().any(|m| m.id == *id));
                    let now = Instant::now();
                    let due: Vec<OutboxMail> = batch
                        .into_iter()
                        .filter(|mail| match not_before.get(&mail.id) {
                            Some(at) if *at > now => {
                                next = Some(next.map_or(*at, |n| n.min(*at)));
                                false
                            }
                            _ => true,
                        })
                        .collect();
                    attempted = due.len();
                    let outcomes = tokio::select! {
                        outcomes = self.attempt_all(due) => outcomes,
                        _ = &mut stop => return,
                    };
                    for (id, retry) in outcomes {
                        match retry {
                            Some(delay) => {
                                let at = Instant::now() + delay;
                                not_before.insert(id, at);
                                next = Some(next.map_or(at, |n| n.min(at)));
                            }
                            None => {
                                not_before.remove(&id);
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the mail queue");
                    next = Some(Instant::now() + self.retry.initial);
                }
            }
            if more && attempted > 0 {
                continue;
            }
            let retry_timer = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let committed = async {
                match self.wake_on_commits {
                    true if commits.changed().await.is_ok() => {}
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.queue.woken() => {}
                _ = committed => {}
                _ = retry_timer => {}
                _ = &mut stop => return,
            }
        }
    }

    /// Sends `mails` (several at once, each bounded by the timeout), then records every outcome in one
    /// transaction; `(id, Some(delay))` for each to try again. A crash between sending and recording sends
    /// those again on the next start, with the same Message-ID.
    async fn attempt_all(&self, mails: Vec<OutboxMail>) -> Vec<(Uuid, Option<Duration>)> {
        if mails.is_empty() {
            return Vec::new();
        }
        let sent: Vec<(OutboxMail, Result<(), MailError>)> = stream::iter(mails)
            .map(|mail| async move {
                let result = match tokio::time::timeout(self.timeout, self.deliver(&mail)).await {
                    Ok(r) => r,
                    Err(_) => Err(MailError::Timeout(self.timeout.as_secs())),
                };
                (mail, result)
            })
            .buffer_unordered(SENDING)
            .collect()
            .await;
        let now = self.clock.now();
        let recorded = async {
            let mut tx = self.store.begin().await?;
            let mut outcomes = Vec::with_capacity(sent.len());
            for (mail, result) in &sent {
                let to = mask_email(&mail.recipient);
                let retry = match result {
                    Ok(()) => {
                        tx.mail_delivered(mail.id, now).await?;
                        tracing::info!(mail = %mail.id, %to, "mail delivered");
                        None
                    }
                    Err(e) => {
                        let error = e.to_string();
                        let attempts = tx.mail_attempt_failed(mail.id, &error).await?;
                        if attempts >= self.retry.max_attempts {
                            tx.mail_given_up(mail.id, &error, now).await?;
                            tx.append_audit(&AuditRecord::new(
                                mail.org_id,
                                now,
                                AuditActor::system(),
                                "mail.failed",
                                AuditTarget::new("mail", mail.id.to_string()),
                                format!(
                                    "Mail \"{}\" to {to} not delivered after {attempts} attempts: {error}",
                                    mail.subject
                                ),
                            ))
                            .await?;
                            tracing::warn!(mail = %mail.id, %to, attempts, error, "mail given up");
                            None
                        } else {
                            let delay = self.retry.delay(attempts);
                            tracing::warn!(mail = %mail.id, %to, attempts, error, retry_in_ms = delay.as_millis() as u64, "mail delivery failed; will retry");
                            Some(delay)
                        }
                    }
                };
                outcomes.push((mail.id, retry));
            }
            tx.commit().await?;
            Ok::<_, MailError>(outcomes)
        };
        match recorded.await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::error!(error = %e, "cannot record mail deliveries");
                sent.iter()
                    .map(|(mail, _)| (mail.id, Some(self.retry.initial)))
                    .collect()
            }
        }
    }

    async fn deliver(&self, mail: &OutboxMail) -> Result<(), MailError> {
        let body = self
            .secret_box
            .open(&seal_context(mail.id), &mail.sealed_body)
            .map_err(|_| MailError::Sealed)?;
        let body = String::from_utf8(body).map_err(|_| MailError::Sealed)?;
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|_| MailError::Address(mail.recipient.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            // The same id on every attempt: a recipient can tell a retried delivery from a new message.
            .message_id(Some(format!("<{}@{}>", mail.id, self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        self.transport.send(message, mail.id).await
    }
}
