//! The delivery worker: one task per server (when `delivery_worker` is on), started by [`crate::spawn`]
//! and stopped on shutdown. It claims the due deliveries from the outbox, earliest first (a claim holds
//! for a lease: instances sharing a database each send different deliveries, and what an instance that
//! died held is taken over when the lease runs out), sends a batch of them at once through the outbound
//! client, and records the batch's attempts, the integrations' failure counts and any disabling in one
//! transaction. It sleeps until the next delivery is due, or until a commit that queued deliveries wakes
//! it. Times come from the server's clock, so tests move them.

use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    inbox::{InboxEntry, Subject},
    integrations::{DELIVERY_ATTEMPTS_KEPT, DeliveryAttempt, DeliveryStatus, Integration, IntegrationStatus},
    notifications::EventType,
};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{DeliveryConfig, Verdict, judge, request};
use crate::{
    background::WorkerHandle,
    clock::after,
    error::AppResult,
    services::{
        fanout::{Fanout, Queued},
        integrations::{AREA, Secrets},
    },
    state::AppState,
    store::{AuditRecord, DeliveryRow, DeliveryUpdate, IntegrationRow, uuid_v7_at},
};

/// Deliveries claimed at a time.
const BATCH: u32 = 64;
/// How often finished deliveries past their retention are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

pub struct Worker {
    pub state: AppState,
    pub config: DeliveryConfig,
    /// This worker's name in its claims: unique to this process on a shared database.
    pub id: String,
    /// On a database shared with other instances: also look at the outbox after every commit the store
    /// hears of (deliveries another instance queued; its own wake does not reach this one).
    pub shared: bool,
}

/// What became of one due delivery.
enum Outcome {
    /// An attempt was made.
    Sent { verdict: Verdict, attempt: DeliveryAttempt },
    /// Nothing was sent: the integration is gone, switched off, disabled, or cannot build the request.
    NotSent(String),
}

/// The integration a delivery goes to, opened once per batch.
type Target = Option<(Integration, Secrets)>;

/// Why a delivery to `integration` is not sent, if it is not.
fn held(integration: &Integration) -> Option<String> {
    match &integration.status {
        IntegrationStatus::Disabled { .. } => {
            Some("not sent: the integration was disabled after failed deliveries".into())
        }
        _ if !integration.enabled => Some("not sent: the integration is switched off".into()),
        _ if integration.kind.tracker() => Some("not sent: a bug tracker is no channel".into()),
        _ => None,
    }
}

/// The log of attempts with `attempt` added (the oldest dropped past the limit).
fn with_attempt(mut attempts: Vec<DeliveryAttempt>, attempt: DeliveryAttempt) -> Vec<DeliveryAttempt> {
    attempts.push(attempt);
    if attempts.len() > DELIVERY_ATTEMPTS_KEPT {
        attempts.drain(..attempts.len() - DELIVERY_ATTEMPTS_KEPT);
    }
    attempts
}

/// An attempt in a few words for a disabling's reason: the remote status and what it said.
fn describe(attempt: &DeliveryAttempt) -> String {
    match (attempt.status, attempt.message.trim()) {
        (Some(status), "") => format!("HTTP {status}"),
        (Some(status), said) => format!("HTTP {status}: {said}"),
        (None, said) => said.to_owned(),
    }
}

/// The inbox entry (and channel message, and mail) saying that `integration` was disabled.
fn disabled_notice(integration: &Integration, reason: &str, failures: u32, now: Timestamp) -> InboxEntry {
    InboxEntry {
        id: uuid_v7_at(now),
        event_type: EventType::IntegrationDisabled,
        title: format!("Integration {} disabled", integration.name),
        message: format!(
            "{failures} deliveries to {} ({}) failed in a row, so the server disabled it. The last failure: \
             {reason}. Fix it, then run its Test: a successful Test enables it again.",
            integration.name,
            integration.kind.label()
        ),
        severity: None,
        application: None,
        server: None,
        integration: Some(Subject {
            id: integration.id,
            name: integration.name.clone(),
        }),
        vulnerability_id: None,
        created_at: now,
        read_at: None,
    }
}

impl Worker {
    pub fn start(self) -> WorkerHandle {
        WorkerHandle::spawn(|stop| self.run(stop))
    }

    async fn run(self, stop: oneshot::Receiver<()>) {
        self.work(stop).await;
        // Stopping: what this worker held is anyone's at once.
        if let Err(e) = self.state.store.release_deliveries(&self.id).await {
            tracing::warn!(error = %e, "cannot let go of claimed deliveries; they wait for their lease to run out");
        }
    }

    async fn work(&self, mut stop: oneshot::Receiver<()>) {
        let mut pruned: Option<Instant> = None;
        let mut commits = self.state.store.commits();
        loop {
            let now = self.state.clock.now();
            let claimed = self
                .state
                .store
                .claim_deliveries(&self.id, now, after(now, self.lease()), BATCH)
                .await;
            match claimed {
                Ok(batch) if !batch.is_empty() => {
                    tokio::select! {
                        _ = self.round(batch) => {}
                        _ = &mut stop => return,
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot read the delivery outbox"),
            }
            if pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                self.prune().await;
                pruned = Some(Instant::now());
            }
            let wait = match self.state.store.next_delivery_due().await {
                Ok(Some(at)) => {
                    let left = at.duration_since(self.state.clock.now());
                    Duration::try_from(left).unwrap_or(Duration::ZERO).min(self.config.poll)
                }
                Ok(None) => self.config.poll,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the delivery outbox");
                    self.config.poll
                }
            };
            let committed = async {
                match self.shared {
                    true if commits.changed().await.is_ok() => {}
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.state.deliveries.notified() => {}
                _ = committed => {}
                _ = tokio::time::sleep(wait) => {}
                _ = &mut stop => return,
            }
        }
    }

    /// How long a claim holds: twice the longest a batch can take (its deliveries go out `concurrency` at
    /// a time, each within the outbound timeout), so a live worker records its batch long before anyone
    /// takes it over.
    fn lease(&self) -> Duration {
        let rounds = (BATCH as usize).div_ceil(self.config.concurrency.max(1)) as u32;
        self.state.outbound.timeout().saturating_mul(rounds).saturating_mul(2)
    }

    async fn prune(&self) {
        let before = self
            .state
            .clock
            .now()
            .checked_sub(SignedDuration::try_from(self.config.retention).unwrap_or(SignedDuration::MAX))
            .unwrap_or(Timestamp::MIN);
        let pruned = async {
            let mut tx = self.state.store.begin().await?;
            let n = tx.prune_deliveries(before, self.config.keep).await?;
            tx.commit().await?;
            Ok::<_, crate::store::StoreError>(n)
        };
        match pruned.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "old deliveries removed from the logs"),
            Err(e) => tracing::error!(error = %e, "cannot prune the delivery logs"),
        }
    }

    /// Sends one batch (several at once) and records it.
    async fn round(&self, batch: Vec<DeliveryRow>) {
        let mut targets: HashMap<(Uuid, Uuid), Target> = HashMap::new();
        for row in &batch {
            let key = (row.org_id, row.view.integration_id);
            if targets.contains_key(&key) {
                continue;
            }
            let target = match self.state.store.integration(key.0, key.1).await {
                Ok(Some(found)) => {
                    match Secrets::open(&self.state.secret_box, key.1, found.sealed_secrets.as_deref()) {
                        Ok(secrets) => Some((found.view, secrets)),
                        Err(e) => {
                            tracing::error!(integration = %key.1, error = %e, "cannot open an integration's secrets");
                            None
                        }
                    }
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read an integration; its deliveries wait");
                    return;
                }
            };
            targets.insert(key, target);
        }
        let targets = &targets;
        let sent: Vec<(DeliveryRow, Outcome)> = stream::iter(batch)
            .map(|row| async move {
                let target = targets
                    .get(&(row.org_id, row.view.integration_id))
                    .and_then(Option::as_ref);
                let outcome = self.attempt(&row, target).await;
                (row, outcome)
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        if let Err(e) = self.record(sent).await {
            // Nothing recorded: the batch stays due and goes out again (with the same webhook-ids).
            tracing::error!(error = %e, "cannot record deliveries; they will be sent again");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn attempt(&self, row: &DeliveryRow, target: Option<&(Integration, Secrets)>) -> Outcome {
        let Some((integration, secrets)) = target else {
            return Outcome::NotSent("not sent: the integration no longer exists".into());
        };
        if let Some(why) = held(integration) {
            return Outcome::NotSent(why);
        }
        let at = self.state.clock.now();
        let request = match request(row, integration, secrets, at) {
            Ok(r) => r,
            Err(why) => {
                let (verdict, attempt) = (
                    Verdict::Retry { after: None },
                    DeliveryAttempt {
                        at,
                        duration_ms: 0,
                        status: None,
                        message: secrets.redact(&format!("not sent: {why}"), &[]),
                    },
                );
                return Outcome::Sent { verdict, attempt };
            }
        };
        let started = Instant::now();
        let result = self.state.outbound.send(request).await;
        let (verdict, attempt) = judge(&integration.settings, secrets, &result, at, started.elapsed());
        Outcome::Sent { verdict, attempt }
    }

    /// Records a batch in one transaction: each delivery's attempt and state, each integration's failures
    /// in a row (reset by a delivery, disabling it at the limit, with its audit entry and fan-out).
    async fn record(&self, sent: Vec<(DeliveryRow, Outcome)>) -> AppResult<()> {
        let now = self.state.clock.now();
        // The fan-out of a disabling is read before the transaction, for the organizations where a delivery
        // fails for good in this batch (a retry disables nothing).
        let mut fanouts: HashMap<Uuid, Fanout> = HashMap::new();
        let failing: HashSet<Uuid> = sent
            .iter()
            .filter(|(row, o)| match o {
                Outcome::Sent {
                    verdict: Verdict::Dead, ..
                } => true,
                Outcome::Sent {
                    verdict: Verdict::Retry { after },
                    ..
                } => self.config.wait_after(row.tries + 1, *after).is_none(),
                _ => false,
            })
            .map(|(row, _)| row.org_id)
            .collect();
        for org in failing {
            fanouts.insert(org, Fanout::read(&self.state, org).await?);
        }
        let mut tx = self.state.store.begin().await?;
        let mut integrations: HashMap<(Uuid, Uuid), (IntegrationRow, bool)> = HashMap::new();
        let mut queued = Queued::default();
        for (row, outcome) in sent {
            let (update, failed_reason, delivered) = match outcome {
                Outcome::NotSent(why) => {
                    let attempt = DeliveryAttempt {
                        at: now,
                        duration_ms: 0,
                        status: None,
                        message: why,
                    };
                    let update = DeliveryUpdate {
                        id: row.view.id,
                        status: DeliveryStatus::Failed,
                        tries: row.tries,
                        attempts: with_attempt(row.view.attempts.clone(), attempt),
                        next_attempt_at: None,
                        claim: Some(self.id.clone()),
                    };
                    (update, None, false)
                }
                Outcome::Sent { verdict, attempt } => {
                    let tries = row.tries + 1;
                    let message = describe(&attempt);
                    let attempts = with_attempt(row.view.attempts.clone(), attempt);
                    let next = match &verdict {
                        Verdict::Delivered | Verdict::Dead => None,
                        Verdict::Retry { after: asked } => self.config.wait_after(tries, *asked).map(|w| after(now, w)),
                    };
                    let status = match (&verdict, next) {
                        (Verdict::Delivered, _) => DeliveryStatus::Delivered,
                        (_, Some(_)) => DeliveryStatus::Retrying,
                        (_, None) => DeliveryStatus::Failed,
                    };
                    let update = DeliveryUpdate {
                        id: row.view.id,
                        status,
                        tries,
                        attempts,
                        next_attempt_at: next,
                        claim: Some(self.id.clone()),
                    };
                    let failed = (status == DeliveryStatus::Failed).then_some(message);
                    (update, failed, verdict == Verdict::Delivered)
                }
            };
            if !tx.update_delivery(&update).await? {
                // Its claim ran out and another worker holds it: that one records its own attempt.
                tracing::warn!(delivery = %row.view.id, "a delivery's claim was taken over before its attempt was recorded");
                continue;
            }
            if failed_reason.is_none() && !delivered {
                continue;
            }
            let key = (row.org_id, row.view.integration_id);
            let (integration, changed) = match integrations.entry(key) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => match tx.integration_tx(key.0, key.1).await? {
                    Some(found) => slot.insert((found, false)),
                    None => continue,
                },
            };
            let view = &mut integration.view;
            if delivered {
                if view.failures > 0 {
                    view.failures = 0;
                    *changed = true;
                }
                continue;
            }
            let Some(reason) = failed_reason else { continue };
            view.failures += 1;
            *changed = true;
            if view.failures >= self.config.disable_after && view.status == IntegrationStatus::Active {
                view.status = IntegrationStatus::Disabled {
                    reason: format!("{} deliveries in a row failed; the last: {reason}", view.failures),
                    at: now,
                };
                view.updated_at = now;
                tx.append_audit(&AuditRecord::new(
                    Some(key.0),
                    now,
                    AuditActor::system(),
                    "integration.disabled",
                    AuditTarget::new(AREA, key.1.to_string()),
                    format!(
                        "Integration {} disabled by the server after {} failed deliveries in a row (last: {reason})",
                        view.name, view.failures
                    ),
                ))
                .await?;
                if let Some(fanout) = fanouts.get(&key.0) {
                    let notice = disabled_notice(view, &reason, view.failures, now);
                    queued += fanout
                        .write(tx.as_mut(), &self.state.secret_box, &notice, now, Some(key.1))
                        .await?;
                }
                tracing::warn!(integration = %key.1, failures = view.failures, "integration disabled after failed deliveries");
            }
        }
        for ((org, _), (integration, changed)) in integrations {
            if changed {
                let version = integration.view.version;
                tx.save_integration(org, &integration, version).await?;
            }
        }
        tx.commit().await?;
        queued.wake(&self.state);
        Ok(())
    }
}
