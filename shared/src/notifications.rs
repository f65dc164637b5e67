//! Notifications (SETTINGS.md section 8): the organization's defaults per event type: an in-app inbox
//! entry, an email, and the channel integrations to notify; `new_vulnerability` also filters by severity.
//! A settings document (`settings/notifications`), versioned like every other.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::FieldError;

/// The kinds of event, as the wire names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    NewVulnerability,
    ApplicationAttacked,
    VulnerableLibrary,
    ServerOffline,
    NewAsset,
    LicenseExpiring,
    NewComment,
    /// Raised by the server when it switches an integration off after failed deliveries.
    IntegrationDisabled,
}

impl EventType {
    pub const ALL: [EventType; 8] = [
        EventType::NewVulnerability,
        EventType::ApplicationAttacked,
        EventType::VulnerableLibrary,
        EventType::ServerOffline,
        EventType::NewAsset,
        EventType::LicenseExpiring,
        EventType::NewComment,
        EventType::IntegrationDisabled,
    ];

    /// The event type of a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::NewVulnerability => "new_vulnerability",
            EventType::ApplicationAttacked => "application_attacked",
            EventType::VulnerableLibrary => "vulnerable_library",
            EventType::ServerOffline => "server_offline",
            EventType::NewAsset => "new_asset",
            EventType::LicenseExpiring => "license_expiring",
            EventType::NewComment => "new_comment",
            EventType::IntegrationDisabled => "integration_disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventType::NewVulnerability => "New vulnerability",
            EventType::ApplicationAttacked => "Application attacked",
            EventType::VulnerableLibrary => "Vulnerable library",
            EventType::ServerOffline => "Server offline",
            EventType::NewAsset => "New asset",
            EventType::LicenseExpiring => "License expiring",
            EventType::NewComment => "New comment",
            EventType::IntegrationDisabled => "Integration disabled",
        }
    }

    /// Events about the organization itself go to its admins; the others to the users with access to the
    /// application (admins always).
    pub fn admins_only(self) -> bool {
        matches!(
            self,
            EventType::ServerOffline | EventType::LicenseExpiring | EventType::IntegrationDisabled
        )
    }
}

/// A vulnerability's severity: one type with the vulnerabilities agents report.
pub use crate::vulnerabilities::Severity;

/// How one event type is delivered by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventRule {
    pub in_app: bool,
    pub email: bool,
    /// Channel integrations (Slack, Teams, webhook...) told of it, by id.
    #[serde(default)]
    pub channels: Vec<Uuid>,
}

impl EventRule {
    fn new(in_app: bool, email: bool) -> Self {
        EventRule {
            in_app,
            email,
            channels: Vec::new(),
        }
    }
}

/// `settings/notifications`: the organization's defaults per event type (users may change in-app and
/// email for themselves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotificationSettings {
    pub new_vulnerability: EventRule,
    /// Only vulnerabilities of these severities notify.
    pub new_vulnerability_severities: Vec<Severity>,
    pub application_attacked: EventRule,
    pub vulnerable_library: EventRule,
    pub server_offline: EventRule,
    pub new_asset: EventRule,
    pub license_expiring: EventRule,
    pub new_comment: EventRule,
    pub integration_disabled: EventRule,
}

/// Most channels one event type may notify.
pub const CHANNELS_MAX: usize = 20;

impl Default for NotificationSettings {
    /// In-app for every type; email for attacks, offline servers, expiring licenses and disabled
    /// integrations; no channels; every severity.
    fn default() -> Self {
        NotificationSettings {
            new_vulnerability: EventRule::new(true, false),
            new_vulnerability_severities: Severity::ALL.to_vec(),
            application_attacked: EventRule::new(true, true),
            vulnerable_library: EventRule::new(true, false),
            server_offline: EventRule::new(true, true),
            new_asset: EventRule::new(true, false),
            license_expiring: EventRule::new(true, true),
            new_comment: EventRule::new(true, false),
            integration_disabled: EventRule::new(true, true),
        }
    }
}

impl NotificationSettings {
    pub fn rule(&self, event: EventType) -> &EventRule {
        match event {
            EventType::NewVulnerability => &self.new_vulnerability,
            EventType::ApplicationAttacked => &self.application_attacked,
            EventType::VulnerableLibrary => &self.vulnerable_library,
            EventType::ServerOffline => &self.server_offline,
            EventType::NewAsset => &self.new_asset,
            EventType::LicenseExpiring => &self.license_expiring,
            EventType::NewComment => &self.new_comment,
            EventType::IntegrationDisabled => &self.integration_disabled,
        }
    }

    pub fn rule_mut(&mut self, event: EventType) -> &mut EventRule {
        match event {
            EventType::NewVulnerability => &mut self.new_vulnerability,
            EventType::ApplicationAttacked => &mut self.application_attacked,
            EventType::VulnerableLibrary => &mut self.vulnerable_library,
            EventType::ServerOffline => &mut self.server_offline,
            EventType::NewAsset => &mut self.new_asset,
            EventType::LicenseExpiring => &mut self.license_expiring,
            EventType::NewComment => &mut self.new_comment,
            EventType::IntegrationDisabled => &mut self.integration_disabled,
        }
    }

    /// The rules that need nothing else (that each channel is one of the organization's channel
    /// integrations is the server's to check).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        for event in EventType::ALL {
            let rule = self.rule(event);
            let field = format!("{}.channels", event.as_str());
            if rule.channels.len() > CHANNELS_MAX {
                errors.push(FieldError::new(field, format!("at most {CHANNELS_MAX} channels")));
            } else {
                let mut seen = rule.channels.clone();
                seen.sort();
                seen.dedup();
                if seen.len() != rule.channels.len() {
                    errors.push(FieldError::new(field, "names a channel twice"));
                }
            }
        }
        let mut sev = self.new_vulnerability_severities.clone();
        sev.sort();
        sev.dedup();
        if sev.len() != self.new_vulnerability_severities.len() {
            errors.push(FieldError::new(
                "new_vulnerability_severities",
                "names a severity twice",
            ));
        } else if sev.is_empty() && (self.new_vulnerability.in_app || self.new_vulnerability.email) {
            errors.push(FieldError::new(
                "new_vulnerability_severities",
                "choose at least one severity, or switch new vulnerability notifications off",
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// One's own choice for one event type (`None`: the organization's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MyChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_app: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<bool>,
}

/// `PUT me/notifications`: a user's own in-app and email choices, per event type (the types not named
/// follow the organization's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MyNotifications {
    #[serde(default)]
    pub choices: std::collections::BTreeMap<EventType, MyChoice>,
}

impl MyNotifications {
    /// Choices equal to no choice are dropped, so "back to the default" leaves nothing behind.
    pub fn normalized(mut self) -> Self {
        self.choices.retain(|_, c| c.in_app.is_some() || c.email.is_some());
        self
    }
}

/// The organization's default for one event type, as a user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventDefault {
    pub event: EventType,
    pub in_app: bool,
    pub email: bool,
}

/// `GET me/notifications`: one's own choices with the organization's defaults beside them (which users
/// other than admins cannot read from `settings/notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MyNotificationsView {
    pub version: i64,
    pub mine: MyNotifications,
    pub defaults: Vec<EventDefault>,
}

impl MyNotificationsView {
    /// What reaches me for `event`: (in-app, email).
    pub fn effective(&self, event: EventType) -> (bool, bool) {
        let d = self.defaults.iter().find(|d| d.event == event);
        let c = self.mine.choices.get(&event).copied().unwrap_or_default();
        (
            c.in_app.unwrap_or(d.is_some_and(|d| d.in_app)),
            c.email.unwrap_or(d.is_some_and(|d| d.email)),
        )
    }

    pub fn defaults_of(settings: &NotificationSettings) -> Vec<EventDefault> {
        EventType::ALL
            .iter()
            .map(|e| EventDefault {
                event: *e,
                in_app: settings.rule(*e).in_app,
                email: settings.rule(*e).email,
            })
            .collect()
    }
}

impl crate::endpoint::HasVersion for MyNotificationsView {
    fn version(&self) -> i64 {
        self.version
    }
}

pub mod endpoints {
    use super::*;
    use crate::routes::*;

    crate::endpoints! {
        /// One's own notification choices, with the organization's defaults beside them.
        GetMine: Get ME_NOTIFICATIONS, User, params (), query (), body () => MyNotificationsView, etag true;
        /// Replaces one's own choices (types not named follow the organization's defaults).
        PutMine: Put ME_NOTIFICATIONS, User, params (), query (), body MyNotifications => MyNotificationsView, if_match Required, etag true;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<GetMine>();
        v.visit::<PutMine>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_organization_starts_as_section_8_says() {
        let d = NotificationSettings::default();
        for e in EventType::ALL {
            assert!(d.rule(e).in_app, "{e:?}");
            assert!(d.rule(e).channels.is_empty());
            let email = matches!(
                e,
                EventType::ApplicationAttacked
                    | EventType::ServerOffline
                    | EventType::LicenseExpiring
                    | EventType::IntegrationDisabled
            );
            assert_eq!(d.rule(e).email, email, "{e:?}");
        }
        assert!(d.validate().is_ok());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["application_attacked"]["email"], true);
        assert_eq!(json["new_vulnerability_severities"][0], "critical");
    }

    #[test]
    fn my_choices_override_the_defaults_per_type_and_none_follows_them() {
        let defaults = MyNotificationsView::defaults_of(&NotificationSettings::default());
        let mut view = MyNotificationsView {
            version: 1,
            mine: MyNotifications::default(),
            defaults,
        };
        assert_eq!(view.effective(EventType::ServerOffline), (true, true));
        view.mine.choices.insert(
            EventType::ServerOffline,
            MyChoice {
                in_app: None,
                email: Some(false),
            },
        );
        assert_eq!(view.effective(EventType::ServerOffline), (true, false));
        view.mine.choices.insert(EventType::NewAsset, MyChoice::default());
        assert_eq!(view.mine.clone().normalized().choices.len(), 1);
        let json = serde_json::to_value(&view.mine).unwrap();
        assert_eq!(json["choices"]["server_offline"]["email"], false);
    }

    #[test]
    fn duplicate_channels_and_no_severity_are_refused_naming_the_field() {
        let mut s = NotificationSettings::default();
        let c = Uuid::from_u128(1);
        s.server_offline.channels = vec![c, c];
        s.new_vulnerability_severities.clear();
        let errors = s.validate().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["server_offline.channels", "new_vulnerability_severities"]);
        s.new_vulnerability.in_app = false;
        s.server_offline.channels = vec![c];
        assert!(s.validate().is_ok(), "no severity is fine once the type is off");
    }
}
