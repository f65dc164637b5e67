//! The server's own events (SETTINGS.md section 8): what no agent reports but the organization's admins
//! must hear of. A background task looks at the clock's day every `every` (an hour by default, and at
//! start) and raises `license_expiring` 30, 7 and 1 days before a batch of licenses expires: once per
//! organization, kind, day and threshold (a threshold missed while the server was down is raised late, a
//! larger one then skipped), recorded in the same transaction as the event's audit entry and fan-out.
//!
//! Every `servers_every` (a minute) it looks for servers silent for 15 minutes and raises `server_offline`
//! for each once per silence (a heartbeat ends it), and removes the servers silent longer than their
//! environment's `cleanup.after_days` where cleanup is on, freeing their licenses (audited as the system).
//! (`integration_disabled` is raised by the delivery worker.)

use std::{
    collections::{HashMap, hash_map::Entry},
    time::Duration,
};

use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    general::Environment,
    inbox::{InboxEntry, Subject},
    notifications::EventType,
    servers::{Cleanup, OFFLINE_AFTER_MINUTES},
};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{
    background::WorkerHandle,
    error::{AppError, AppResult},
    services::{
        fanout::{Fanout, Queued},
        servers,
    },
    state::AppState,
    store::{AuditRecord, ExpiringLicenses, SilentQuery, SilentServer, uuid_v7_at},
};

/// Days before an expiry that raise `license_expiring`, most urgent first.
pub const LICENSE_THRESHOLDS: [i32; 3] = [1, 7, 30];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchConfig {
    /// How often the day is looked at.
    pub every: Duration,
    /// How often silent servers are looked for.
    pub servers_every: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            every: Duration::from_secs(60 * 60),
            servers_every: Duration::from_secs(60),
        }
    }
}

/// Silent servers read at a time.
const SILENT_PAGE: u32 = 500;

/// The threshold an expiry `days_left` away has reached (the most urgent), if any.
pub fn threshold(days_left: i32) -> Option<i32> {
    if days_left < 0 {
        return None;
    }
    LICENSE_THRESHOLDS.into_iter().find(|t| days_left <= *t)
}

fn today(now: Timestamp) -> Date {
    now.to_zoned_datetime(TimeZone::UTC).date()
}

fn notice(batch: &ExpiringLicenses, days_left: i32, now: Timestamp) -> InboxEntry {
    let kind = batch.kind.as_str();
    let what = if batch.count == 1 {
        format!("1 {kind} license")
    } else {
        format!("{} {kind} licenses", batch.count)
    };
    let verb = if batch.count == 1 { "expires" } else { "expire" };
    let when = match days_left {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        n => format!("in {n} days"),
    };
    let holders = match batch.kind {
        orgdeck_shared::licensing::LicenseKind::Assess => "applications",
        orgdeck_shared::licensing::LicenseKind::Protect => "servers",
    };
    InboxEntry {
        id: uuid_v7_at(now),
        event_type: EventType::LicenseExpiring,
        title: format!("{what} {verb} {when} ({})", batch.expires_on),
        message: format!(
            "On {} {what} {verb}. Licensed {holders} beyond the licenses left then lose theirs. Renew them before: \
             the General area shows every batch and its expiry.",
            batch.expires_on
        ),
        severity: None,
        application: None,
        server: None,
        integration: None,
        vulnerability_id: None,
        created_at: now,
        read_at: None,
    }
}

pub struct Watch {
    pub state: AppState,
    pub config: WatchConfig,
}

impl Watch {
    pub fn start(self) -> WorkerHandle {
        WorkerHandle::spawn(|stop| self.run(stop))
    }

    async fn run(self, mut stop: oneshot::Receiver<()>) {
        let mut licenses_due = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= licenses_due {
                if let Err(e) = self.licenses().await {
                    tracing::error!(error = %e, "cannot look for expiring licenses");
                }
                licenses_due = tokio::time::Instant::now() + self.config.every;
            }
            if let Err(e) = self.servers().await {
                tracing::error!(error = %e, "cannot look for silent servers");
            }
            let next = licenses_due.min(tokio::time::Instant::now() + self.config.servers_every);
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = &mut stop => return,
            }
        }
    }

    /// Every server silent since before `before` (only those not announced yet when `unraised_only`),
    /// read page by page.
    async fn silent(&self, before: Timestamp, unraised_only: bool, now: Timestamp) -> AppResult<Vec<SilentServer>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let query = SilentQuery {
                before,
                unraised_only,
                after,
                limit: SILENT_PAGE,
                now,
            };
            let page = self.state.store.servers_silent(&query).await?;
            let full = page.len() == SILENT_PAGE as usize;
            after = page.last().map(|last| (last.server.last_seen_at, last.server.id));
            all.extend(page);
            if !full {
                return Ok(all);
            }
        }
    }

    /// Raises `server_offline` for each server silent for 15 minutes (once per silence), then removes
    /// the servers silent past their environment's cleanup. Returns (raised, removed).
    pub async fn servers(&self) -> AppResult<(usize, usize)> {
        let now = self.state.clock.now();
        let ago = |d: SignedDuration| now.checked_sub(d).map_err(|e| AppError::Internal(e.into()));
        let before = ago(SignedDuration::from_mins(OFFLINE_AFTER_MINUTES))?;
        let mut raised = 0;
        let mut fanouts: HashMap<Uuid, Fanout> = HashMap::new();
        for silent in self.silent(before, true, now).await? {
            let fanout = match fanouts.entry(silent.org_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(Fanout::read(&self.state, silent.org_id).await?),
            };
            if self.offline(fanout, &silent, before, now).await? {
                raised += 1;
            }
        }
        // Cleanup: nothing is removed before a day of silence (the shortest `after_days`).
        let mut cleanups: HashMap<(Uuid, Environment), Cleanup> = HashMap::new();
        let mut removed = 0;
        for silent in self.silent(ago(SignedDuration::from_hours(24))?, false, now).await? {
            let key = (silent.org_id, silent.server.environment);
            let cleanup = match cleanups.entry(key) {
                Entry::Occupied(known) => *known.get(),
                Entry::Vacant(new) => *new.insert(servers::defaults(&self.state, key.0, key.1).await?.value.cleanup),
            };
            let silent_for = now.duration_since(silent.server.last_seen_at);
            if cleanup.enabled
                && silent_for > SignedDuration::from_hours(24 * i64::from(cleanup.after_days))
                && servers::clean_up(&self.state, silent.org_id, &silent.server, cleanup.after_days).await?
            {
                removed += 1;
                tracing::info!(org = %silent.org_id, server = %silent.server.id, "silent server removed");
            }
        }
        Ok((raised, removed))
    }

    /// One server's `server_offline`: marked, audited and fanned out in one transaction, unless a
    /// heartbeat came first or another pass raised it.
    async fn offline(
        &self,
        fanout: &Fanout,
        silent: &SilentServer,
        before: Timestamp,
        now: Timestamp,
    ) -> AppResult<bool> {
        let s = &silent.server;
        let mut tx = self.state.store.begin().await?;
        if !tx.mark_offline_raised(s.id, before).await? {
            return Ok(false);
        }
        let entry = InboxEntry {
            id: uuid_v7_at(now),
            event_type: EventType::ServerOffline,
            title: format!("Server {} is offline", s.name),
            message: format!(
                "No heartbeat from {} ({}, {}) since {} UTC. It is back online when its agent beats again; the \
                 Servers area lists it, and removes it after the cleanup days of its environment when cleanup is on.",
                s.name,
                s.hostname,
                s.environment,
                s.last_seen_at.strftime("%Y-%m-%d %H:%M")
            ),
            severity: None,
            application: None,
            server: Some(Subject {
                id: s.id,
                name: s.name.clone(),
            }),
            integration: None,
            vulnerability_id: None,
            created_at: now,
            read_at: None,
        };
        tx.append_audit(&AuditRecord::new(
            Some(silent.org_id),
            now,
            AuditActor::system(),
            "server.offline",
            AuditTarget::new("server", s.id.to_string()),
            entry.title.clone(),
        ))
        .await?;
        let queued: Queued = fanout
            .write(tx.as_mut(), &self.state.secret_box, &entry, now, None)
            .await?;
        tx.commit().await?;
        queued.wake(&self.state);
        tracing::info!(org = %silent.org_id, server = %s.id, "server offline raised");
        Ok(true)
    }

    /// Raises `license_expiring` for every batch that reached a threshold not raised yet.
    pub async fn licenses(&self) -> AppResult<usize> {
        let now = self.state.clock.now();
        let day = today(now);
        let last = day
            .checked_add(jiff::Span::new().days(i64::from(LICENSE_THRESHOLDS[2])))
            .map_err(|e| crate::error::AppError::Internal(e.into()))?;
        let mut raised = 0;
        for batch in self.state.store.licenses_expiring(day, last).await? {
            let days_left = (batch.expires_on - day).get_days();
            let Some(t) = threshold(days_left) else { continue };
            let key = format!("license_expiring:{}:{}:{t}", batch.kind.as_str(), batch.expires_on);
            // Raised before: nothing to read (the hourly look passes here until the next mark).
            if self.state.store.server_event_raised(batch.org_id, &key).await? {
                continue;
            }
            // Read before the transaction, as every fan-out is; the transaction checks the key again.
            let fanout = Fanout::read(&self.state, batch.org_id).await?;
            let mut tx = self.state.store.begin().await?;
            if !tx.record_server_event(batch.org_id, &key, now).await? {
                continue;
            }
            let entry = notice(&batch, days_left, now);
            tx.append_audit(&AuditRecord::new(
                Some(batch.org_id),
                now,
                AuditActor::system(),
                "license.expiring",
                AuditTarget::new("license", format!("{}:{}", batch.kind.as_str(), batch.expires_on)),
                entry.title.clone(),
            ))
            .await?;
            let queued: Queued = fanout
                .write(tx.as_mut(), &self.state.secret_box, &entry, now, None)
                .await?;
            tx.commit().await?;
            queued.wake(&self.state);
            raised += 1;
            tracing::info!(org = %batch.org_id, %key, "license expiry raised");
        }
        Ok(raised)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_expiry_reaches_the_most_urgent_threshold_it_passed() {
        assert_eq!(threshold(31), None);
        assert_eq!(threshold(30), Some(30));
        assert_eq!(threshold(8), Some(30));
        assert_eq!(threshold(7), Some(7));
        assert_eq!(threshold(2), Some(7));
        assert_eq!(threshold(1), Some(1));
        assert_eq!(threshold(0), Some(1));
        assert_eq!(threshold(-1), None);
    }
}
