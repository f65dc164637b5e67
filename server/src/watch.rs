//! The server's own events (SETTINGS.md section 8): what no agent reports but the organization's admins
//! must hear of. A background task looks at the clock's day every `every` (an hour by default, and at
//! start) and raises `license_expiring` 30, 7 and 1 days before a batch of licenses expires: once per
//! organization, kind, day and threshold (a threshold missed while the server was down is raised late, a
//! larger one then skipped), recorded in the same transaction as the event's audit entry and fan-out.
//! (`integration_disabled` is raised by the delivery worker; `server_offline` comes with agent heartbeats.)

use std::time::Duration;

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    inbox::InboxEntry,
    notifications::EventType,
};
use tokio::sync::oneshot;

use crate::{
    background::WorkerHandle,
    error::AppResult,
    services::fanout::{Fanout, Queued},
    state::AppState,
    store::{AuditRecord, ExpiringLicenses, uuid_v7_at},
};

/// Days before an expiry that raise `license_expiring`, most urgent first.
pub const LICENSE_THRESHOLDS: [i32; 3] = [1, 7, 30];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchConfig {
    /// How often the day is looked at.
    pub every: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            every: Duration::from_secs(60 * 60),
        }
    }
}

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
        loop {
            if let Err(e) = self.licenses().await {
                tracing::error!(error = %e, "cannot look for expiring licenses");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.every) => {}
                _ = &mut stop => return,
            }
        }
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
