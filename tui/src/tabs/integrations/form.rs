//! The add / edit form of an integration: the fields of its kind only, secrets write-only (empty keeps
//! the stored one when editing; the label says whether one is set), and the server's field errors
//! (`settings.project_key`, `secrets.url`) shown under the field they name.

use std::collections::BTreeMap;

use orgdeck_shared::{
    FieldError,
    auth::Secret,
    integrations::{
        Applications, BugzillaSettings, HipchatSettings, Integration, IntegrationKind, IntegrationPatch,
        IntegrationSettings, JiraAuth, JiraSettings, NAME_MAX, NewIntegration, SECRET_MAX, SerenaSettings,
        TEMPLATE_MAX, URL_MAX, WebhookSettings,
    },
    inventory::Application,
};
use uuid::Uuid;

use crate::widgets::{
    FieldSpec, Form,
    form::{Choice, Multi, Text, Toggle},
};

/// The fields of every kind's form (each form holds only its kind's).
pub enum IntegrationFields {}

pub const NAME: Text<IntegrationFields> = Text::new("name");
pub const ENABLED: Toggle<IntegrationFields> = Toggle::new("enabled");
pub const ALL_APPS: Toggle<IntegrationFields> = Toggle::new("all_applications");
pub const APPS: Multi<IntegrationFields> = Multi::new("applications");
pub const URL: Text<IntegrationFields> = Text::new("url");
pub const AUTH: Choice<IntegrationFields> = Choice::new("auth");
pub const USER: Text<IntegrationFields> = Text::new("user");
pub const PROJECT_KEY: Text<IntegrationFields> = Text::new("project_key");
pub const ISSUE_TYPE: Text<IntegrationFields> = Text::new("issue_type");
pub const PRODUCT: Text<IntegrationFields> = Text::new("product");
pub const COMPONENT: Text<IntegrationFields> = Text::new("component");
pub const VERSION: Text<IntegrationFields> = Text::new("version");
pub const OP_SYS: Text<IntegrationFields> = Text::new("op_sys");
pub const PLATFORM: Text<IntegrationFields> = Text::new("platform");
pub const PRIORITY: Text<IntegrationFields> = Text::new("priority");
pub const SEVERITY: Text<IntegrationFields> = Text::new("severity");
pub const PROJECT_ID: Text<IntegrationFields> = Text::new("project_id");
pub const ROOM: Text<IntegrationFields> = Text::new("room");
pub const TEMPLATE: Text<IntegrationFields> = Text::new("payload_template");
pub const SIGN: Toggle<IntegrationFields> = Toggle::new("sign");
/// Secrets, named `secret_<wire name>` in the form (the wire names `url` and `token` are also fields).
pub const SECRET_TOKEN: Text<IntegrationFields> = Text::new("secret_token");
pub const SECRET_API_KEY: Text<IntegrationFields> = Text::new("secret_api_key");
pub const SECRET_PASSWORD: Text<IntegrationFields> = Text::new("secret_password");
pub const SECRET_URL: Text<IntegrationFields> = Text::new("secret_url");

const JIRA_AUTH: [JiraAuth; 2] = [JiraAuth::Basic, JiraAuth::Pat];

/// The form field of a secret's wire name.
fn secret_field(wire: &str) -> Option<Text<IntegrationFields>> {
    match wire {
        "token" => Some(SECRET_TOKEN),
        "api_key" => Some(SECRET_API_KEY),
        "password" => Some(SECRET_PASSWORD),
        "url" => Some(SECRET_URL),
        _ => None,
    }
}

/// How a kind's secret field is labelled: what it is, and (editing) whether one is stored.
fn secret_label(kind: IntegrationKind, set: bool) -> &'static str {
    match (kind, set) {
        (IntegrationKind::Jira, false) => "API token / PAT",
        (IntegrationKind::Jira, true) => "API token/PAT (set)",
        (IntegrationKind::Bugzilla, false) => "API key",
        (IntegrationKind::Bugzilla, true) => "API key (set)",
        (IntegrationKind::Serena, false) => "Password",
        (IntegrationKind::Serena, true) => "Password (set)",
        (IntegrationKind::Hipchat, false) => "Room token",
        (IntegrationKind::Hipchat, true) => "Room token (set)",
        // The channels' one secret is their URL.
        (_, false) => "Webhook URL",
        (_, true) => "Webhook URL (set)",
    }
}

pub struct IntegrationForm {
    pub kind: IntegrationKind,
    pub form: Form<IntegrationFields>,
    /// The integration being edited, as read; `None` makes a new one.
    pub original: Option<Integration>,
    /// The organization's applications, in the order of the applications field's options.
    pub app_ids: Vec<Uuid>,
    pub saving: bool,
    /// Someone else changed the integration first (a 412): the edits stay; `r` reads it again.
    pub stale: bool,
}

impl IntegrationForm {
    fn specs(
        kind: IntegrationKind,
        apps: &[Application],
        secrets_set: Option<&BTreeMap<String, bool>>,
        adding: bool,
    ) -> Vec<FieldSpec<IntegrationFields>> {
        let mut specs = vec![
            FieldSpec::text(NAME, "Name", Some(NAME_MAX)),
            FieldSpec::toggle(ENABLED, "Enabled"),
        ];
        let url_label = if kind == IntegrationKind::Hipchat {
            "Server URL"
        } else {
            "URL"
        };
        match kind {
            IntegrationKind::Jira => specs.extend([
                FieldSpec::text(URL, url_label, Some(URL_MAX)),
                FieldSpec::choice(
                    AUTH,
                    "Auth",
                    vec!["basic (email + API token)".into(), "pat (Data Center token)".into()],
                ),
                FieldSpec::text(USER, "Email (basic)", Some(255)),
                FieldSpec::text(PROJECT_KEY, "Project key", Some(255)),
                FieldSpec::text(ISSUE_TYPE, "Issue type", Some(255)),
            ]),
            IntegrationKind::Bugzilla => specs.extend([
                FieldSpec::text(URL, url_label, Some(URL_MAX)),
                FieldSpec::text(PRODUCT, "Product", Some(255)),
                FieldSpec::text(COMPONENT, "Component", Some(255)),
                FieldSpec::text(VERSION, "Version", Some(255)),
                FieldSpec::text(OP_SYS, "OS (optional)", Some(255)),
                FieldSpec::text(PLATFORM, "Platform (optional)", Some(255)),
                FieldSpec::text(PRIORITY, "Priority (optional)", Some(255)),
                FieldSpec::text(SEVERITY, "Severity (optional)", Some(255)),
            ]),
            IntegrationKind::Serena => specs.extend([
                FieldSpec::text(URL, url_label, Some(URL_MAX)),
                FieldSpec::text(USER, "User", Some(255)),
                FieldSpec::text(PROJECT_ID, "Project id", Some(255)),
            ]),
            IntegrationKind::Hipchat => specs.extend([
                FieldSpec::text(URL, url_label, Some(URL_MAX)),
                FieldSpec::text(ROOM, "Room", Some(255)),
            ]),
            IntegrationKind::Webhook => {
                specs.push(FieldSpec::text(URL, url_label, Some(URL_MAX)));
                specs.push(FieldSpec::text(TEMPLATE, "Payload template", Some(TEMPLATE_MAX)));
                if adding {
                    specs.push(FieldSpec::toggle(SIGN, "Sign requests"));
                }
            }
            IntegrationKind::Slack
            | IntegrationKind::Teams
            | IntegrationKind::GoogleChat
            | IntegrationKind::Mattermost => {}
        }
        for wire in kind.sent_secrets() {
            if let Some(field) = secret_field(wire) {
                let set = secrets_set.is_some_and(|s| s.get(*wire).copied().unwrap_or(false));
                specs.push(FieldSpec::secret(field, secret_label(kind, set), Some(SECRET_MAX)));
            }
        }
        specs.push(FieldSpec::toggle(ALL_APPS, "All applications"));
        specs.push(FieldSpec::multi(
            APPS,
            "  or only",
            apps.iter().map(|a| a.name.clone()).collect(),
        ));
        specs
    }

    pub fn add(kind: IntegrationKind, apps: &[Application]) -> IntegrationForm {
        let mut form = Form::new(Self::specs(kind, apps, None, true));
        form.set_bool(ENABLED, true);
        form.set_bool(ALL_APPS, true);
        let mut f = IntegrationForm {
            kind,
            form,
            original: None,
            app_ids: apps.iter().map(|a| a.id).collect(),
            saving: false,
            stale: false,
        };
        f.fill_settings(&kind.blank());
        f.sync();
        f
    }

    pub fn edit(integration: &Integration, apps: &[Application]) -> IntegrationForm {
        let kind = integration.kind;
        let form = Form::new(Self::specs(kind, apps, Some(&integration.secrets), false));
        let mut f = IntegrationForm {
            kind,
            form,
            original: Some(integration.clone()),
            app_ids: apps.iter().map(|a| a.id).collect(),
            saving: false,
            stale: false,
        };
        f.fill(integration);
        f
    }

    /// Shows `integration` as it is now (secret fields empty: they keep what is stored).
    pub fn fill(&mut self, integration: &Integration) {
        self.form.set_text(NAME, integration.name.clone());
        self.form.set_bool(ENABLED, integration.enabled);
        match &integration.applications {
            Applications::All => {
                self.form.set_bool(ALL_APPS, true);
                self.form.set_multi(APPS, vec![false; self.app_ids.len()]);
            }
            Applications::Only(ids) => {
                self.form.set_bool(ALL_APPS, false);
                let checked = self.app_ids.iter().map(|a| ids.contains(a)).collect();
                self.form.set_multi(APPS, checked);
            }
        }
        self.fill_settings(&integration.settings);
        for wire in self.kind.sent_secrets() {
            if let Some(field) = secret_field(wire) {
                self.form.set_text(field, String::new());
            }
        }
        self.original = Some(integration.clone());
        self.stale = false;
        self.form.set_errors(Vec::new());
        self.sync();
    }

    fn fill_settings(&mut self, settings: &IntegrationSettings) {
        let f = &mut self.form;
        match settings {
            IntegrationSettings::Jira(s) => {
                f.set_text(URL, s.url.clone());
                f.set_choice(AUTH, JIRA_AUTH.iter().position(|a| *a == s.auth).unwrap_or(0));
                f.set_text(USER, s.user.clone());
                f.set_text(PROJECT_KEY, s.project_key.clone());
                f.set_text(ISSUE_TYPE, s.issue_type.clone());
            }
            IntegrationSettings::Bugzilla(s) => {
                f.set_text(URL, s.url.clone());
                f.set_text(PRODUCT, s.product.clone());
                f.set_text(COMPONENT, s.component.clone());
                f.set_text(VERSION, s.version.clone());
                f.set_text(OP_SYS, s.op_sys.clone());
                f.set_text(PLATFORM, s.platform.clone());
                f.set_text(PRIORITY, s.priority.clone());
                f.set_text(SEVERITY, s.severity.clone());
            }
            IntegrationSettings::Serena(s) => {
                f.set_text(URL, s.url.clone());
                f.set_text(USER, s.user.clone());
                f.set_text(PROJECT_ID, s.project_id.clone());
            }
            IntegrationSettings::Hipchat(s) => {
                f.set_text(URL, s.server_url.clone());
                f.set_text(ROOM, s.room.clone());
            }
            IntegrationSettings::Webhook(s) => {
                f.set_text(URL, s.url.clone());
                f.set_text(TEMPLATE, s.payload_template.clone().unwrap_or_default());
            }
            IntegrationSettings::Slack
            | IntegrationSettings::Teams
            | IntegrationSettings::GoogleChat
            | IntegrationSettings::Mattermost => {}
        }
    }

    /// What one field decides of others: the list of applications only counts when not "all"; JIRA's
    /// email only for basic auth.
    pub fn sync(&mut self) {
        let all = self.form.bool(ALL_APPS);
        self.form.set_disabled(APPS, all);
        if self.kind == IntegrationKind::Jira {
            let pat = JIRA_AUTH[self.form.choice(AUTH).min(1)] == JiraAuth::Pat;
            self.form.set_disabled(USER, pat);
        }
    }

    pub fn adding(&self) -> bool {
        self.original.is_none()
    }

    fn text(&self, field: Text<IntegrationFields>) -> String {
        self.form.text(field).trim().to_owned()
    }

    /// The settings as the form has them (detected values of the stored ones kept).
    pub fn settings(&self) -> IntegrationSettings {
        let stored = self.original.as_ref().map(|o| &o.settings);
        match self.kind {
            IntegrationKind::Jira => IntegrationSettings::Jira(JiraSettings {
                url: self.text(URL),
                deployment: match stored {
                    Some(IntegrationSettings::Jira(s)) => s.deployment,
                    _ => None,
                },
                auth: JIRA_AUTH[self.form.choice(AUTH).min(1)],
                user: self.text(USER),
                project_key: self.text(PROJECT_KEY),
                issue_type: self.text(ISSUE_TYPE),
            }),
            IntegrationKind::Bugzilla => IntegrationSettings::Bugzilla(BugzillaSettings {
                url: self.text(URL),
                product: self.text(PRODUCT),
                component: self.text(COMPONENT),
                version: self.text(VERSION),
                op_sys: self.text(OP_SYS),
                platform: self.text(PLATFORM),
                priority: self.text(PRIORITY),
                severity: self.text(SEVERITY),
                auth_style: match stored {
                    Some(IntegrationSettings::Bugzilla(s)) => s.auth_style,
                    _ => None,
                },
            }),
            IntegrationKind::Serena => IntegrationSettings::Serena(SerenaSettings {
                url: self.text(URL),
                user: self.text(USER),
                project_id: self.text(PROJECT_ID),
            }),
            IntegrationKind::Hipchat => IntegrationSettings::Hipchat(HipchatSettings {
                server_url: self.text(URL),
                room: self.text(ROOM),
            }),
            IntegrationKind::Webhook => IntegrationSettings::Webhook(WebhookSettings {
                url: self.text(URL),
                payload_template: Some(self.form.text(TEMPLATE)).filter(|t| !t.trim().is_empty()),
            }),
            IntegrationKind::Slack => IntegrationSettings::Slack,
            IntegrationKind::Teams => IntegrationSettings::Teams,
            IntegrationKind::GoogleChat => IntegrationSettings::GoogleChat,
            IntegrationKind::Mattermost => IntegrationSettings::Mattermost,
        }
    }

    /// The secrets typed (an empty field sends nothing: it keeps the stored secret).
    fn secrets(&self) -> BTreeMap<String, Secret> {
        self.kind
            .sent_secrets()
            .iter()
            .filter_map(|wire| {
                let field = secret_field(wire)?;
                let v = self.form.text(field);
                (!v.is_empty()).then(|| ((*wire).to_owned(), Secret::new(v.trim())))
            })
            .collect()
    }

    fn applications(&self) -> Applications {
        if self.form.bool(ALL_APPS) {
            return Applications::All;
        }
        let ids = self
            .app_ids
            .iter()
            .zip(self.form.multi(APPS))
            .filter(|(_, on)| *on)
            .map(|(id, _)| *id)
            .collect();
        Applications::Only(ids)
    }

    pub fn new_integration(&self) -> NewIntegration {
        NewIntegration {
            name: self.text(NAME),
            enabled: self.form.bool(ENABLED),
            applications: self.applications(),
            settings: self.settings(),
            secrets: self.secrets(),
            sign: self.kind == IntegrationKind::Webhook && self.form.bool(SIGN),
        }
    }

    /// What changed from the integration as read.
    pub fn patch(&self) -> IntegrationPatch {
        let Some(o) = &self.original else {
            return IntegrationPatch::default();
        };
        let name = self.text(NAME);
        let enabled = self.form.bool(ENABLED);
        let applications = self.applications();
        let settings = self.settings();
        IntegrationPatch {
            name: (name != o.name).then_some(name),
            enabled: (enabled != o.enabled).then_some(enabled),
            applications: (applications != o.applications).then_some(applications),
            settings: (settings != o.settings).then_some(settings),
            secrets: self.secrets(),
        }
    }

    pub fn is_dirty(&self) -> bool {
        if self.adding() {
            !self.text(NAME).is_empty() || !self.secrets().is_empty() || self.settings() != self.kind.blank()
        } else {
            self.patch() != IntegrationPatch::default()
        }
    }

    /// The shared validation's errors, under the fields they name.
    pub fn validate(&mut self) -> Vec<FieldError> {
        let errors = if self.adding() {
            self.new_integration().validate().err().unwrap_or_default()
        } else {
            self.patch().validate(self.kind).err().unwrap_or_default()
        };
        self.show_errors(errors.clone());
        errors
    }

    /// Errors (the shared validation's or the server's) shown under their fields: `settings.x` under
    /// `x`, `secrets.url` under the secret URL, HipChat's `server_url` under the URL.
    pub fn show_errors(&mut self, errors: Vec<FieldError>) {
        let mapped: Vec<FieldError> = errors
            .into_iter()
            .map(|e| {
                let field = if let Some(rest) = e.field.strip_prefix("settings.") {
                    if rest == "server_url" {
                        "url".to_owned()
                    } else {
                        rest.to_owned()
                    }
                } else if let Some(rest) = e.field.strip_prefix("secrets.") {
                    secret_field(rest).map_or_else(|| e.field.clone(), |f| f.name().to_owned())
                } else if e.field == "applications" {
                    "applications".to_owned()
                } else {
                    e.field.clone()
                };
                FieldError::new(field, e.message)
            })
            .collect();
        self.form.set_errors(mapped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apps() -> Vec<Application> {
        vec![Application {
            id: Uuid::from_u128(7),
            name: "Payments".into(),
            language: "java".into(),
            environment: orgdeck_shared::general::Environment::Production,
            licensed: true,
            open_vulnerabilities: Default::default(),
            score: None,
        }]
    }

    #[test]
    fn every_kinds_form_holds_its_fields_and_gives_back_what_it_was_filled_with() {
        for kind in IntegrationKind::ALL {
            let mut f = IntegrationForm::add(kind, &apps());
            f.form.assert_has(NAME);
            f.form.assert_has(ENABLED);
            f.form.assert_has(ALL_APPS);
            f.form.assert_has(APPS);
            assert_eq!(f.settings(), kind.blank(), "{kind:?}");
            assert!(!f.is_dirty(), "a fresh form of {kind:?} has no edits");
            f.form.set_text(NAME, "Security");
            assert!(f.is_dirty());
        }
        let jira = IntegrationForm::add(IntegrationKind::Jira, &apps());
        for field in [URL, USER, PROJECT_KEY, ISSUE_TYPE, SECRET_TOKEN] {
            jira.form.assert_has(field);
        }
        jira.form.assert_has(AUTH);
        let bz = IntegrationForm::add(IntegrationKind::Bugzilla, &apps());
        for field in [
            URL,
            PRODUCT,
            COMPONENT,
            VERSION,
            OP_SYS,
            PLATFORM,
            PRIORITY,
            SEVERITY,
            SECRET_API_KEY,
        ] {
            bz.form.assert_has(field);
        }
        let serena = IntegrationForm::add(IntegrationKind::Serena, &apps());
        for field in [URL, USER, PROJECT_ID, SECRET_PASSWORD] {
            serena.form.assert_has(field);
        }
        let hipchat = IntegrationForm::add(IntegrationKind::Hipchat, &apps());
        for field in [URL, ROOM, SECRET_TOKEN] {
            hipchat.form.assert_has(field);
        }
        let hook = IntegrationForm::add(IntegrationKind::Webhook, &apps());
        for field in [URL, TEMPLATE] {
            hook.form.assert_has(field);
        }
        hook.form.assert_has(SIGN);
        IntegrationForm::add(IntegrationKind::Slack, &apps())
            .form
            .assert_has(SECRET_URL);
    }

    #[test]
    fn a_new_jira_integration_sends_its_settings_and_token_and_errors_land_under_their_fields() {
        let mut f = IntegrationForm::add(IntegrationKind::Jira, &apps());
        f.form.set_text(NAME, "Security JIRA");
        f.form.set_text(URL, "https://acme.atlassian.net");
        f.form.set_text(USER, "sec@acme.test");
        f.form.set_text(PROJECT_KEY, "sec");
        f.form.set_text(SECRET_TOKEN, "tok-123");
        let errors = f.validate();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(f.form.error(PROJECT_KEY).is_some(), "shown under the project key");
        f.form.set_text(PROJECT_KEY, "SEC");
        assert!(f.validate().is_empty());
        let new = f.new_integration();
        assert_eq!(new.secrets.get("token").map(Secret::expose), Some("tok-123"));
        assert_eq!(new.applications, Applications::All);
        f.show_errors(vec![FieldError::new("secrets.token", "rejected by JIRA")]);
        assert!(f.form.error(SECRET_TOKEN).is_some());
    }

    #[test]
    fn editing_keeps_stored_secrets_unless_one_is_typed_and_sends_only_what_changed() {
        let integration = Integration {
            id: Uuid::from_u128(1),
            name: "Alerts".into(),
            kind: IntegrationKind::Slack,
            enabled: true,
            applications: Applications::All,
            settings: IntegrationSettings::Slack,
            secrets: [("url".to_owned(), true)].into_iter().collect(),
            target: "hooks.slack.com".into(),
            status: Default::default(),
            failures: 0,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            version: 3,
        };
        let mut f = IntegrationForm::edit(&integration, &apps());
        assert!(!f.is_dirty());
        assert_eq!(f.patch(), IntegrationPatch::default());
        f.form.set_bool(ALL_APPS, false);
        f.form.set_multi(APPS, vec![true]);
        let patch = f.patch();
        assert_eq!(patch.applications, Some(Applications::Only(vec![Uuid::from_u128(7)])));
        assert!(patch.secrets.is_empty(), "the stored URL stays");
        f.form.set_text(SECRET_URL, "https://hooks.slack.com/services/T/B/new");
        assert!(f.patch().secrets.contains_key("url"));
    }
}
