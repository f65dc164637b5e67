//! Section 1 of SETTINGS.md: the organization's information and preferences.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    FieldError,
    validate::{has_duplicates, validate_display_name},
};

/// Longest organization name, in characters.
pub const NAME_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub enum DateFormat {
    #[default]
    #[serde(rename = "yyyy-MM-dd")]
    Iso,
    #[serde(rename = "MM/dd/yyyy")]
    Us,
    #[serde(rename = "dd/MM/yyyy")]
    European,
    #[serde(rename = "dd.MM.yyyy")]
    Dotted,
}

impl DateFormat {
    pub const ALL: [DateFormat; 4] = [
        DateFormat::Iso,
        DateFormat::Us,
        DateFormat::European,
        DateFormat::Dotted,
    ];

    /// The wire name, which is also the pattern people read.
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::Iso => "yyyy-MM-dd",
            DateFormat::Us => "MM/dd/yyyy",
            DateFormat::European => "dd/MM/yyyy",
            DateFormat::Dotted => "dd.MM.yyyy",
        }
    }

    /// The strftime pattern that renders it.
    pub fn strftime(self) -> &'static str {
        match self {
            DateFormat::Iso => "%Y-%m-%d",
            DateFormat::Us => "%m/%d/%Y",
            DateFormat::European => "%d/%m/%Y",
            DateFormat::Dotted => "%d.%m.%Y",
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub enum TimeFormat {
    /// 24-hour clock.
    #[default]
    #[serde(rename = "HH:mm")]
    H24,
    /// 12-hour clock with AM/PM.
    #[serde(rename = "hh:mm a")]
    H12,
}

impl TimeFormat {
    pub const ALL: [TimeFormat; 2] = [TimeFormat::H24, TimeFormat::H12];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeFormat::H24 => "HH:mm",
            TimeFormat::H12 => "hh:mm a",
        }
    }

    pub fn strftime(self) -> &'static str {
        match self {
            TimeFormat::H24 => "%H:%M",
            TimeFormat::H12 => "%I:%M %p",
        }
    }
}

impl fmt::Display for TimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Deployment environments of applications and servers (agents).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// The `default_environment` of a new organization (SETTINGS.md section 7).
    #[default]
    Development,
    Qa,
    Production,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Development, Environment::Qa, Environment::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Qa => "qa",
            Environment::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<Environment> {
        Environment::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `settings/general`. `id` and `created_at` are read-only: the server ignores them on write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GeneralSettings {
    #[serde(default)]
    pub id: Uuid,
    #[serde(default)]
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    pub name: String,
    #[serde(default)]
    pub date_format: DateFormat,
    #[serde(default)]
    pub time_format: TimeFormat,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub auto_license_new_applications: bool,
    #[serde(default)]
    pub auto_license_new_servers: bool,
    /// The environments whose new servers get a protect license automatically.
    #[serde(default = "default_auto_license_environments")]
    pub auto_license_environments: Vec<Environment>,
}

fn default_timezone() -> String {
    "UTC".to_owned()
}

fn default_auto_license_environments() -> Vec<Environment> {
    vec![Environment::Production]
}

impl GeneralSettings {
    /// A new organization's settings: every default of SETTINGS.md.
    pub fn new(id: Uuid, name: impl Into<String>, created_at: Timestamp) -> Self {
        Self {
            id,
            created_at,
            name: name.into(),
            date_format: DateFormat::default(),
            time_format: TimeFormat::default(),
            timezone: default_timezone(),
            auto_license_new_applications: false,
            auto_license_new_servers: false,
            auto_license_environments: default_auto_license_environments(),
        }
    }

    /// Every problem with the editable fields, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = validate_name(&self.name) {
            errors.push(e);
        }
        if let Err(e) = validate_timezone(&self.timezone) {
            errors.push(e);
        }
        let envs = &self.auto_license_environments;
        if has_duplicates(envs) {
            errors.push(FieldError::new(
                "auto_license_environments",
                "lists an environment twice",
            ));
        } else if self.auto_license_new_servers && envs.is_empty() {
            errors.push(FieldError::new(
                "auto_license_environments",
                "choose at least one environment for auto-licensing new servers",
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The organization name: the shared display-name rule ([`validate_display_name`]), at most 100
/// characters, and (it is stored as sent) no leading or trailing spaces.
pub fn validate_name(name: &str) -> Result<(), FieldError> {
    validate_display_name("name", name, NAME_MAX)?;
    if name.trim() != name {
        Err(FieldError::new("name", "must not start or end with spaces"))
    } else {
        Ok(())
    }
}

/// An IANA time zone name known to the bundled database (`UTC`, `Europe/Paris`).
pub fn validate_timezone(tz: &str) -> Result<(), FieldError> {
    if tz.is_empty() {
        return Err(FieldError::new("timezone", "is required"));
    }
    match jiff::tz::db().get(tz) {
        Ok(_) => Ok(()),
        Err(_) => Err(FieldError::new(
            "timezone",
            format!("unknown time zone {tz:?} (use an IANA name like Europe/Paris)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> GeneralSettings {
        GeneralSettings::new(Uuid::nil(), "Acme", Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn a_new_organization_starts_with_the_documented_defaults() {
        let s = settings();
        assert_eq!(s.date_format.as_str(), "yyyy-MM-dd");
        assert_eq!(s.time_format.as_str(), "HH:mm");
        assert_eq!(s.timezone, "UTC");
        assert_eq!(s.auto_license_environments, vec![Environment::Production]);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn formats_use_their_patterns_as_wire_names() {
        let json = serde_json::to_value(settings()).unwrap();
        assert_eq!(json["date_format"], "yyyy-MM-dd");
        assert_eq!(json["time_format"], "HH:mm");
        let back: DateFormat = serde_json::from_str("\"dd.MM.yyyy\"").unwrap();
        assert_eq!(back, DateFormat::Dotted);
    }

    #[test]
    fn name_must_be_1_to_100_characters() {
        let mut s = settings();
        s.name = String::new();
        assert_eq!(s.validate().unwrap_err()[0].field, "name");
        s.name = "é".repeat(100);
        assert!(s.validate().is_ok(), "100 characters (200 bytes) is allowed");
        s.name = "x".repeat(101);
        assert!(s.validate().unwrap_err()[0].message.contains("100"));
    }

    #[test]
    fn every_invalid_field_is_named() {
        let mut s = settings();
        s.name = "  ".into();
        s.timezone = "Mars/Olympus".into();
        s.auto_license_environments = vec![Environment::Qa, Environment::Qa];
        let fields: Vec<String> = s.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "timezone", "auto_license_environments"]);
    }

    #[test]
    fn iana_time_zones_are_accepted() {
        for tz in ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"] {
            assert!(validate_timezone(tz).is_ok(), "{tz}");
        }
        assert!(validate_timezone("CEST+99").is_err());
    }
}
