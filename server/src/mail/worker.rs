//! The mail worker: one task per server, started by [`crate::spawn`] and stopped on shutdown. It claims
//! queued mail oldest first (a claim holds for a lease, so instances sharing a database each send
//! different messages, and the claims of an instance that died are taken over when their lease runs
//! out), delivers several at once, each attempt bounded by the timeout, and records a batch in one
//! transaction. A failure is retried with backoff (this worker's timers; other instances leave the message
//! alone until its retry time) until the attempts run out, which is logged and audited. A delivered or
//! abandoned message loses its body.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures_util::{StreamExt, stream};
use lettre::{Message, message::Mailbox, message::header::ContentType};
use orgdeck_shared::audit::{AuditActor, AuditTarget};
use tokio::{sync::oneshot, time::Instant};
use uuid::Uuid;

use super::{MailError, MailQueue, RetryPolicy, mask_email, seal_context, transport::Transport};
use crate::{
    background::WorkerHandle,
    clock::{Clock, after},
    secret_box::SecretBox,
    store::{AuditRecord, OutboxMail, Store},
};

/// Messages claimed at a time.
const BATCH: u32 = 32;
/// Messages being sent at once (the outbox's file syncs or an SMTP relay's connections overlap).
const SENDING: usize = 8;

/// How long a claim holds: twice the longest a batch can take to send (its messages go out `SENDING` at
/// a time, each within the timeout), so a live worker records its batch well before anyone takes it over.
pub fn lease(timeout: Duration) -> Duration {
    let rounds = (BATCH as usize).div_ceil(SENDING) as u32;
    timeout.saturating_mul(rounds).saturating_mul(2)
}

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub secret_box: Arc<SecretBox>,
    pub clock: Arc<dyn Clock>,
    pub queue: Arc<MailQueue>,
    pub transport: Transport,
    pub from: Mailbox,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Also look at the queue after every commit the store hears of, and when another worker's claims run
    /// out: with several instances on one database, mail queued by another instance (whose own wake does
    /// not reach this one), or left by one that died.
    pub shared: bool,
    /// This worker's name in its claims: unique to this process on a shared database.
    pub id: String,
}

impl Worker {
    /// Starts the worker (an attempt in flight at [`WorkerHandle::stop`] is dropped and the message stays
    /// queued for the next start).
    pub fn start(self) -> WorkerHandle {
        WorkerHandle::spawn(|stop| self.run(stop))
    }

    async fn run(self, stop: oneshot::Receiver<()>) {
        self.work(stop).await;
        // Stopping: what this worker held is anyone's at once (a crash leaves it held until the lease or
        // retry time runs out).
        if let Err(e) = self.store.release_mail(&self.id).await {
            tracing::warn!(error = %e, "cannot let go of claimed mail; it waits for its lease to run out");
        }
    }

    async fn work(&self, mut stop: oneshot::Receiver<()>) {
        // When each message that failed may be tried again.
        let mut not_before: HashMap<Uuid, Instant> = HashMap::new();
        let mut commits = self.store.commits();
        loop {
            let mut next: Option<Instant> = None;
            // A full batch may have more behind it: look again at once rather than wait for a wake.
            let mut more = false;
            let mut attempted = 0usize;
            let now = self.clock.now();
            let claimed = self
                .store
                .claim_mail(&self.id, now, after(now, lease(self.timeout)), BATCH)
                .await;
            match claimed {
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
                match self.shared {
                    true if commits.changed().await.is_ok() => {}
                    _ => std::future::pending().await,
                }
            };
            // Another worker's claim running out (it may have died): its messages are ours to take then.
            let lapsed = async {
                let ends = match self.shared {
                    true => self.store.next_mail_lease_end(&self.id).await,
                    false => Ok(None),
                };
                match ends {
                    Ok(Some(at)) => {
                        let left = at.duration_since(self.clock.now());
                        tokio::time::sleep(Duration::try_from(left).unwrap_or(Duration::ZERO)).await
                    }
                    Ok(None) => std::future::pending().await,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the mail queue");
                        tokio::time::sleep(self.retry.initial.max(Duration::from_secs(1))).await
                    }
                }
            };
            tokio::select! {
                _ = self.queue.woken() => {}
                _ = committed => {}
                _ = lapsed => {}
                _ = retry_timer => {}
                _ = &mut stop => return,
            }
        }
    }

    /// Sends `mails` (several at once, each bounded by the timeout), then records every outcome in one
    /// transaction; `(id, Some(delay))` for each to try again. A crash between sending and recording sends
    /// those again (on the next start, or from another instance once the claim runs out), with the same
    /// Message-ID. An outcome for a message whose claim was taken over is not recorded: the worker that
    /// holds it now records its own.
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
                        if tx.mail_delivered(mail.id, &self.id, now).await? {
                            tracing::info!(mail = %mail.id, %to, "mail delivered");
                        } else {
                            tracing::warn!(mail = %mail.id, %to, "mail delivered after its claim was taken over");
                        }
                        None
                    }
                    Err(e) => {
                        let error = e.to_string();
                        let delay = self.retry.delay(mail.attempts + 1);
                        let attempts = match tx
                            .mail_attempt_failed(mail.id, &self.id, &error, after(now, delay))
                            .await?
                        {
                            Some(n) => n,
                            None => {
                                tracing::warn!(mail = %mail.id, %to, error, "mail delivery failed after its claim was taken over");
                                outcomes.push((mail.id, None));
                                continue;
                            }
                        };
                        if attempts >= self.retry.max_attempts {
                            tx.mail_given_up(mail.id, &self.id, &error, now).await?;
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
