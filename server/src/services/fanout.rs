//! The fan-out of an event (SETTINGS.md section 8): who and what it reaches, written in the event's own
//! transaction so that an event is never stored without its notifications, and none is sent for an
//! event that was not stored:
//! - an in-app inbox entry per recipient who wants it in-app;
//! - a mail per recipient who wants it by email, through the mail queue;
//! - a delivery per channel the organization's defaults name for the event type (and that hears of the
//!   event's application), sent after the commit by [`crate::delivery`]'s worker.
//!
//! Recipients: for an application's event the admins and the users with access to it; for the
//! organization's own events (offline servers, licenses, integrations) the admins. Each user's own choice
//! wins over the organization's default. What [`Fanout::read`] needs (users, groups, defaults, choices,
//! channels) is read before the transaction, one query each.

use std::collections::HashMap;

use jiff::Timestamp;
use orgdeck_shared::{
    auth::OrgRole,
    groups::{AppAccess, AppRole, effective_app_role, user_grants},
    inbox::InboxEntry,
    integrations::{Applications, Delivery, DeliveryStatus, IntegrationStatus},
    notifications::{EventRule, EventType, MyChoice, MyNotifications, NotificationSettings},
    users::UserSort,
};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    mail::{self, NewMail},
    secret_box::SecretBox,
    services::{notifications, settings},
    state::AppState,
    store::{DeliveryRow, NewInboxRow, UserListFilter, WriteTx, uuid_v7_at},
};

/// One user as the fan-out sees them.
struct Member {
    id: Uuid,
    email: String,
    admin: bool,
    grants: Vec<AppAccess>,
}

/// A channel the organization may deliver to: switched on, not disabled by the server.
struct Channel {
    id: Uuid,
    applications: Applications,
}

/// Everyone and every channel an event of the organization may reach, and their choices.
pub struct Fanout {
    org_id: Uuid,
    members: Vec<Member>,
    defaults: NotificationSettings,
    choices: HashMap<Uuid, MyNotifications>,
    channels: Vec<Channel>,
}

/// What one event queued: the caller wakes the mail and delivery workers after its commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queued {
    pub inbox: usize,
    pub mail: usize,
    pub deliveries: usize,
}

impl std::ops::AddAssign for Queued {
    fn add_assign(&mut self, other: Queued) {
        self.inbox += other.inbox;
        self.mail += other.mail;
        self.deliveries += other.deliveries;
    }
}

impl Queued {
    /// Wakes the workers that have something new (call after the commit).
    pub fn wake(self, state: &AppState) {
        if self.mail > 0 {
            state.mail.wake();
        }
        if self.deliveries > 0 {
            state.deliveries.notify_one();
        }
    }
}

/// The `webhook-id` of a delivery: the same on every attempt and redelivery.
pub fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}

impl Fanout {
    /// Reads the organization's enabled login users (API-only users are scripts: no inbox, no mail), their
    /// groups, the defaults, the users' own choices and the channels.
    pub async fn read(state: &AppState, org_id: Uuid) -> AppResult<Fanout> {
        let filter = UserListFilter {
            q: None,
            status: None,
            group: None,
            sort: UserSort::Name,
            desc: false,
            after: None,
            limit: u32::MAX,
        };
        let users = state.store.list_users(org_id, &filter).await?;
        let groups: HashMap<Uuid, Vec<AppAccess>> = state
            .store
            .groups(org_id)
            .await?
            .into_iter()
            .filter(|g| !g.built_in)
            .map(|g| (g.id, g.app_access))
            .collect();
        let defaults = settings::doc::<NotificationSettings>(state, org_id).await?.value;
        let prefix = notifications::key_prefix();
        let mut choices = HashMap::new();
        for (key, doc) in state.store.settings_docs_under(org_id, prefix).await? {
            let Some(user) = key.strip_prefix(prefix).and_then(|id| Uuid::parse_str(id).ok()) else {
                continue;
            };
            choices.insert(user, notifications::parse(Some((1, doc)))?.1);
        }
        let members = users
            .into_iter()
            .filter(|u| u.enabled && !u.api_only)
            .map(|u| {
                let rows = u.groups.iter().filter_map(|g| groups.get(g)).map(Vec::as_slice);
                Member {
                    id: u.id,
                    admin: u.default_group == OrgRole::Admin,
                    grants: user_grants(u.default_group, rows),
                    email: u.email,
                }
            })
            .collect();
        let channels = state
            .store
            .integrations(org_id)
            .await?
            .into_iter()
            .filter(|i| !i.kind.tracker() && i.enabled && i.status == IntegrationStatus::Active)
            .map(|i| Channel {
                id: i.id,
                applications: i.applications,
            })
            .collect();
        Ok(Fanout {
            org_id,
            members,
            defaults,
            choices,
            channels,
        })
    }

    fn choice(&self, user: Uuid, event: EventType) -> Option<&MyChoice> {
        self.choices.get(&user).and_then(|m| m.choices.get(&event))
    }

    /// The members an event may reach at all: for an application's event the admins and the users with
    /// access to it; for the organization's own events the admins. A `new_vulnerability` of a severity the
    /// organization filters out reaches nobody (and no channel).
    fn audience<'a>(&'a self, entry: &'a InboxEntry) -> impl Iterator<Item = &'a Member> + 'a {
        let filtered = self.filtered(entry);
        let application = entry.application.as_ref().map(|a| a.id);
        let own_event = entry.event_type.admins_only();
        self.members.iter().filter(move |m| {
            !filtered
                && (m.admin
                    || (!own_event
                        && application.is_some_and(|app| effective_app_role(&m.grants, app) != AppRole::NoAccess)))
        })
    }

    /// A `new_vulnerability` of a severity the organization does not notify.
    fn filtered(&self, entry: &InboxEntry) -> bool {
        entry.event_type == EventType::NewVulnerability
            && entry
                .severity
                .is_some_and(|s| !self.defaults.new_vulnerability_severities.contains(&s))
    }

    fn rule(&self, event: EventType) -> &EventRule {
        self.defaults.rule(event)
    }

    /// The members `entry` reaches by one way: each one's own choice (`mine`), else the organization's
    /// default for the type (`default`).
    fn reached<'a>(
        &'a self,
        entry: &'a InboxEntry,
        mine: fn(&MyChoice) -> Option<bool>,
        default: fn(&EventRule) -> bool,
    ) -> impl Iterator<Item = &'a Member> + 'a {
        let event = entry.event_type;
        let fallback = default(self.rule(event));
        self.audience(entry)
            .filter(move |m| self.choice(m.id, event).and_then(mine).unwrap_or(fallback))
    }

    /// The users an event reaches in-app.
    pub fn in_app_recipients(&self, entry: &InboxEntry) -> Vec<Uuid> {
        self.reached(entry, |c| c.in_app, |r| r.in_app).map(|m| m.id).collect()
    }

    /// The addresses an event reaches by email.
    pub fn email_recipients<'a>(&'a self, entry: &'a InboxEntry) -> Vec<&'a str> {
        self.reached(entry, |c| c.email, |r| r.email)
            .map(|m| m.email.as_str())
            .collect()
    }

    /// The channels an event goes to: those the defaults name for its type, switched on, not disabled, and
    /// hearing of its application (an event about no application reaches only channels of all of them). An
    /// event nobody may hear of (a filtered severity) goes to none.
    pub fn channels(&self, entry: &InboxEntry) -> Vec<Uuid> {
        if self.filtered(entry) {
            return Vec::new();
        }
        let application = entry.application.as_ref().map(|a| a.id);
        self.rule(entry.event_type)
            .channels
            .iter()
            .filter_map(|id| self.channels.iter().find(|c| c.id == *id))
            .filter(|c| match (&c.applications, application) {
                (Applications::All, _) => true,
                (Applications::Only(ids), Some(app)) => ids.contains(&app),
                (Applications::Only(_), None) => false,
            })
            .map(|c| c.id)
            .collect()
    }

    /// One inbox row per recipient of `entry` (each with its own id, so each is read on its own).
    pub fn inbox_rows(&self, entry: &InboxEntry, recipients: &[Uuid]) -> Vec<NewInboxRow> {
        recipients
            .iter()
            .enumerate()
            .map(|(i, user)| NewInboxRow {
                org_id: self.org_id,
                user_id: *user,
                entry: InboxEntry {
                    // Same time order as the event, distinct per recipient.
                    id: if i == 0 { entry.id } else { Uuid::now_v7() },
                    ..entry.clone()
                },
            })
            .collect()
    }

    /// Writes everything `entry` fans out to inside `tx`: inbox entries, mail, channel deliveries (each
    /// due at `now`), to every channel but `except` (the integration a disabling is about).
    pub async fn write(
        &self,
        tx: &mut dyn WriteTx,
        secret_box: &SecretBox,
        entry: &InboxEntry,
        now: Timestamp,
        except: Option<Uuid>,
    ) -> AppResult<Queued> {
        let in_app = self.in_app_recipients(entry);
        tx.insert_inbox_entries(&self.inbox_rows(entry, &in_app)).await?;
        let emails = self.email_recipients(entry);
        if !emails.is_empty() {
            let subject = mail_subject(entry);
            let body = mail_body(entry);
            for to in &emails {
                mail::enqueue(
                    tx,
                    secret_box,
                    now,
                    NewMail {
                        org_id: Some(self.org_id),
                        to,
                        subject: &subject,
                        body: &body,
                    },
                )
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            }
        }
        let rows: Vec<DeliveryRow> = self
            .channels(entry)
            .into_iter()
            .filter(|id| Some(*id) != except)
            .map(|integration_id| delivery_row(self.org_id, integration_id, entry, now))
            .collect();
        tx.insert_deliveries(&rows).await?;
        Ok(Queued {
            inbox: in_app.len(),
            mail: emails.len(),
            deliveries: rows.len(),
        })
    }
}

/// A new delivery of `entry` to one channel, due at `now`.
pub fn delivery_row(org_id: Uuid, integration_id: Uuid, entry: &InboxEntry, now: Timestamp) -> DeliveryRow {
    let id = uuid_v7_at(now);
    DeliveryRow {
        org_id,
        view: Delivery {
            id,
            integration_id,
            message_id: message_id(id),
            event_type: entry.event_type,
            title: entry.title.clone(),
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            next_attempt_at: Some(now),
            created_at: now,
        },
        notice: entry.clone(),
        tries: 0,
    }
}

fn mail_subject(entry: &InboxEntry) -> String {
    format!("[orgdeck] {}", entry.title)
}

/// The plain-text mail of an event: its title, its details, what it is about, and why it came.
fn mail_body(entry: &InboxEntry) -> String {
    let mut body = format!("{}\n\n{}\n\n", entry.title, entry.message);
    if let Some(app) = &entry.application {
        body.push_str(&format!("Application: {}\n", app.name));
    }
    if let Some(server) = &entry.server {
        body.push_str(&format!("Server: {}\n", server.name));
    }
    if let Some(integration) = &entry.integration {
        body.push_str(&format!("Integration: {}\n", integration.name));
    }
    if let Some(severity) = entry.severity {
        body.push_str(&format!("Severity: {}\n", severity.as_str()));
    }
    body.push_str(&format!(
        "When: {}\n",
        entry.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    ));
    body.push_str(&format!(
        "\nYou get this mail because your organization's notification settings, or your own, send \
         \"{}\" events by email. Change your own choices in the orgdeck console: Notifications.\n",
        entry.event_type.label()
    ));
    body
}
