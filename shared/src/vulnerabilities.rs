//! Vulnerabilities found in the organization's applications. Agents report them (`new_vulnerability`
//! events, [`crate::agents`]); each becomes one vulnerability of its application, which the reports and
//! the scores (SETTINGS.md sections 9 and 10) are computed from.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How bad a vulnerability is (the wire names of SETTINGS.md sections 8 and 9), most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Note,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The qualitative rating of a CVSS (v3 and v4) base score: 9.0 and above critical, 7.0 high, 4.0
    /// medium, above 0 low, 0 a note. A library's severity is that of its worst CVE.
    pub fn from_cvss(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Note
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a vulnerability stands in its triage (SETTINGS.md section 9); a reported one starts `reported`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VulnerabilityStatus {
    #[default]
    Reported,
    Suspicious,
    Confirmed,
    NotAProblem,
    Remediated,
    Fixed,
}

impl VulnerabilityStatus {
    pub const ALL: [VulnerabilityStatus; 6] = [
        VulnerabilityStatus::Reported,
        VulnerabilityStatus::Suspicious,
        VulnerabilityStatus::Confirmed,
        VulnerabilityStatus::NotAProblem,
        VulnerabilityStatus::Remediated,
        VulnerabilityStatus::Fixed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VulnerabilityStatus::Reported => "reported",
            VulnerabilityStatus::Suspicious => "suspicious",
            VulnerabilityStatus::Confirmed => "confirmed",
            VulnerabilityStatus::NotAProblem => "not_a_problem",
            VulnerabilityStatus::Remediated => "remediated",
            VulnerabilityStatus::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> Option<VulnerabilityStatus> {
        VulnerabilityStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One vulnerability of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Vulnerability {
    pub id: Uuid,
    pub application_id: Uuid,
    pub title: String,
    pub severity: Severity,
    /// The rule that found it (`sql-injection`, `xss-reflected`).
    pub rule: String,
    /// Where in the application (`POST /login`), when the agent said.
    pub route: Option<String>,
    pub description: Option<String>,
    pub status: VulnerabilityStatus,
    /// The id of the agent's `new_vulnerability` event that reported it.
    pub event_id: String,
    /// When it was found: the event's `occurred_at`, or when it was received.
    #[schemars(with = "crate::schema::Timestamp")]
    pub found_at: Timestamp,
    /// The issues made for it in bug trackers.
    #[serde(default)]
    pub issues: Vec<crate::integrations::TrackerIssue>,
}

/// `GET applications/{id}/vulnerabilities?cursor=&limit=`: in the order they were reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VulnerabilityQuery {
    /// The last id of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The largest page of `GET applications/{id}/vulnerabilities?limit=`.
pub const VULNERABILITY_PAGE_MAX: u32 = 500;

/// The routes of vulnerabilities.
pub mod endpoints {
    use super::*;
    use crate::{Page, routes::*};

    crate::endpoints! {
        /// One page of an application's vulnerabilities, in the order they were reported.
        ListForApplication: Get APPLICATION_VULNERABILITIES, Admin, params Uuid, query VulnerabilityQuery, body () => Page<Vulnerability>;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<ListForApplication>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores_rate_as_the_standard_bands() {
        assert_eq!(Severity::from_cvss(10.0), Severity::Critical);
        assert_eq!(Severity::from_cvss(9.0), Severity::Critical);
        assert_eq!(Severity::from_cvss(8.9), Severity::High);
        assert_eq!(Severity::from_cvss(7.0), Severity::High);
        assert_eq!(Severity::from_cvss(4.0), Severity::Medium);
        assert_eq!(Severity::from_cvss(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss(0.0), Severity::Note);
    }

    #[test]
    fn wire_names_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in VulnerabilityStatus::ALL {
            assert_eq!(VulnerabilityStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
