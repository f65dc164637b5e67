//! Report settings (SETTINGS.md section 9): what a report of an application holds by default (its types,
//! the statuses and severities of the vulnerabilities listed, whether notes are included, a custom
//! footer). They prefill report generation; the console renders a preview under them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    FieldError,
    vulnerabilities::{Severity, VulnerabilityStatus},
};

pub mod render;

pub use render::{Note, ReportFormat};

/// The longest custom footer, in characters.
pub const FOOTER_MAX: usize = 500;

/// The compliance frameworks a report maps its findings to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportType {
    #[serde(rename = "owasp_top10_2021")]
    OwaspTop102021,
    #[serde(rename = "pci_dss_4")]
    PciDss4,
    DisaStig,
    #[serde(rename = "nist_800_53")]
    Nist80053,
}

impl ReportType {
    pub const ALL: [ReportType; 4] = [
        ReportType::OwaspTop102021,
        ReportType::PciDss4,
        ReportType::DisaStig,
        ReportType::Nist80053,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportType::OwaspTop102021 => "owasp_top10_2021",
            ReportType::PciDss4 => "pci_dss_4",
            ReportType::DisaStig => "disa_stig",
            ReportType::Nist80053 => "nist_800_53",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportType::OwaspTop102021 => "OWASP Top 10 (2021)",
            ReportType::PciDss4 => "PCI DSS 4.0",
            ReportType::DisaStig => "DISA STIG",
            ReportType::Nist80053 => "NIST 800-53",
        }
    }
}

/// `settings/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ReportSettings {
    pub report_types: Vec<ReportType>,
    /// The statuses of the vulnerabilities a report lists.
    pub statuses: Vec<VulnerabilityStatus>,
    /// The severities of the vulnerabilities a report lists.
    pub severities: Vec<Severity>,
    pub include_notes: bool,
    /// Printed at the end of every report (plain text, up to 500 characters).
    pub custom_footer: String,
}

impl Default for ReportSettings {
    /// An OWASP Top 10 report of what is still open, every severity but notes.
    fn default() -> Self {
        ReportSettings {
            report_types: vec![ReportType::OwaspTop102021],
            statuses: vec![
                VulnerabilityStatus::Reported,
                VulnerabilityStatus::Suspicious,
                VulnerabilityStatus::Confirmed,
            ],
            severities: vec![Severity::Critical, Severity::High, Severity::Medium, Severity::Low],
            include_notes: false,
            custom_footer: String::new(),
        }
    }
}

/// `None` when `items` names nothing twice, else the first repeated one.
fn repeated<T: PartialEq + Copy>(items: &[T]) -> Option<T> {
    items
        .iter()
        .enumerate()
        .find(|(i, x)| items[..*i].contains(x))
        .map(|(_, x)| *x)
}

impl ReportSettings {
    /// Each broken rule names its field: at least one report type, status and severity, none twice; a
    /// footer of at most 500 characters without control characters but line breaks.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.report_types.is_empty() {
            errors.push(FieldError::new("report_types", "choose at least one report type"));
        } else if let Some(t) = repeated(&self.report_types) {
            errors.push(FieldError::new(
                "report_types",
                format!("{} is named twice", t.as_str()),
            ));
        }
        if self.statuses.is_empty() {
            errors.push(FieldError::new("statuses", "choose at least one status"));
        } else if let Some(s) = repeated(&self.statuses) {
            errors.push(FieldError::new("statuses", format!("{} is named twice", s.as_str())));
        }
        if self.severities.is_empty() {
            errors.push(FieldError::new("severities", "choose at least one severity"));
        } else if let Some(s) = repeated(&self.severities) {
            errors.push(FieldError::new("severities", format!("{} is named twice", s.as_str())));
        }
        let chars = self.custom_footer.chars().count();
        if chars > FOOTER_MAX {
            errors.push(FieldError::new(
                "custom_footer",
                format!("at most {FOOTER_MAX} characters ({chars} given)"),
            ));
        } else if self.custom_footer.chars().any(|c| c.is_control() && c != '\n') {
            errors.push(FieldError::new(
                "custom_footer",
                "plain text only: no control characters (line breaks are fine)",
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// `POST reports/preview?format=`: the report of an application under `settings` (absent: the saved ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewRequest {
    pub application_id: uuid::Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ReportSettings>,
}

/// `?format=markdown|html` (Markdown when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ReportFormat>,
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReportPreview {
    pub application: String,
    pub format: ReportFormat,
    /// How many vulnerabilities it lists, of how many the application has.
    pub listed: u32,
    pub total: u32,
    pub content: String,
}

pub mod endpoints {
    use super::*;
    use crate::routes::*;

    crate::endpoints! {
        /// Renders an application's report under the given (or the saved) report settings.
        Preview: Post REPORT_PREVIEW, Admin, params (), query PreviewQuery, body PreviewRequest => ReportPreview;
        /// The same report as a document (Markdown or HTML) with a file name, to save.
        Render: Post REPORT_RENDER, Admin, params (), query PreviewQuery, body PreviewRequest => String, answer_content Document;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<Preview>();
        v.visit::<Render>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_each_rule_names_its_field() {
        assert_eq!(ReportSettings::default().validate(), Ok(()));
        let bad = ReportSettings {
            report_types: Vec::new(),
            statuses: vec![VulnerabilityStatus::Fixed, VulnerabilityStatus::Fixed],
            severities: Vec::new(),
            include_notes: true,
            custom_footer: "x".repeat(501),
        };
        let fields: Vec<(String, String)> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        assert_eq!(
            fields,
            [
                ("report_types".into(), "choose at least one report type".into()),
                ("statuses".into(), "fixed is named twice".into()),
                ("severities".into(), "choose at least one severity".into()),
                ("custom_footer".into(), "at most 500 characters (501 given)".into()),
            ]
        );
        let escape = ReportSettings {
            custom_footer: "Confidential\n\u{1b}[2J".into(),
            ..ReportSettings::default()
        };
        assert_eq!(escape.validate().unwrap_err()[0].field, "custom_footer");
        // The wire names are the ones `as_str` gives.
        for t in ReportType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), serde_json::json!(t.as_str()));
        }
    }
}
