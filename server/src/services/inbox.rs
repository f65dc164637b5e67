//! The in-app part of the fan-out (SETTINGS.md section 8): who an event goes to and what their inbox
//! entry says. The audience (the organization's users, their groups' application access, the
//! organization's notification defaults and each user's own choices) is read before the event's write
//! transaction; the entries are written inside it, so an event is never stored without its entries.

use std::collections::HashMap;

use orgdeck_shared::{
    auth::OrgRole,
    groups::{AppAccess, AppRole, effective_app_role, user_grants},
    inbox::InboxEntry,
    notifications::{EventType, MyNotifications, NotificationSettings, Severity},
    users::UserSort,
};
use uuid::Uuid;

use crate::{
    error::AppResult,
    services::{notifications, settings},
    state::AppState,
    store::{NewInboxRow, UserListFilter},
};

/// One user as the fan-out sees them.
struct Member {
    id: Uuid,
    admin: bool,
    grants: Vec<AppAccess>,
}

/// Everyone an event of the organization may reach, and their choices.
pub struct Audience {
    org_id: Uuid,
    members: Vec<Member>,
    defaults: NotificationSettings,
    choices: HashMap<Uuid, MyNotifications>,
}

impl Audience {
    /// Reads the organization's enabled login users (API-only users are scripts: they get no inbox), their
    /// groups, the defaults and the users' own choices.
    pub async fn read(state: &AppState, org_id: Uuid) -> AppResult<Audience> {
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
        let mut members = Vec::new();
        let mut choices = HashMap::new();
        for u in users.into_iter().filter(|u| u.enabled && !u.api_only) {
            let rows = u.groups.iter().filter_map(|g| groups.get(g)).map(Vec::as_slice);
            members.push(Member {
                id: u.id,
                admin: u.default_group == OrgRole::Admin,
                grants: user_grants(u.default_group, rows),
            });
            let found = state.store.settings_doc(org_id, &notifications::key(u.id)).await?;
            if found.is_some() {
                choices.insert(u.id, notifications::parse(found)?.1);
            }
        }
        Ok(Audience {
            org_id,
            members,
            defaults,
            choices,
        })
    }

    /// Whether `user` gets `event` in-app: their own choice, else the organization's default.
    fn in_app(&self, user: Uuid, event: EventType) -> bool {
        self.choices
            .get(&user)
            .and_then(|m| m.choices.get(&event))
            .and_then(|c| c.in_app)
            .unwrap_or(self.defaults.rule(event).in_app)
    }

    /// The users an event reaches in-app: for an application's event the admins and the users with access
    /// to it; for the organization's own events (offline servers, licenses, integrations) the admins. A
    /// `new_vulnerability` of a severity the organization filters out reaches nobody.
    pub fn in_app_recipients(
        &self,
        event: EventType,
        severity: Option<Severity>,
        application: Option<Uuid>,
    ) -> Vec<Uuid> {
        if event == EventType::NewVulnerability
            && let Some(s) = severity
            && !self.defaults.new_vulnerability_severities.contains(&s)
        {
            return Vec::new();
        }
        self.members
            .iter()
            .filter(|m| {
                m.admin || application.is_some_and(|app| effective_app_role(&m.grants, app) != AppRole::NoAccess)
            })
            .filter(|m| self.in_app(m.id, event))
            .map(|m| m.id)
            .collect()
    }

    /// One row per recipient of `entry` (each with its own id, so each is read on its own).
    pub fn rows(&self, entry: &InboxEntry, recipients: &[Uuid]) -> Vec<NewInboxRow> {
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
}
