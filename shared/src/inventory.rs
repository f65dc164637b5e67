//! The organization's applications and servers (agents), as `GET applications` and `GET servers` list them
//! (the servers' routes are in [`crate::servers`]).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::general::Environment;

/// An application the platform assesses; a licensed one uses an `assess` license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Application {
    pub id: Uuid,
    pub name: String,
    /// The main language, e.g. `java`, `dotnet`, `node`, `python`.
    pub language: String,
    pub environment: Environment,
    pub licensed: bool,
    /// Its open vulnerabilities (reported, suspicious or confirmed) by severity: what its custom-code score
    /// is computed from ([`crate::scores`]).
    #[serde(default)]
    pub open_vulnerabilities: crate::scores::SeverityCounts,
    /// Its scores and grade under the organization's score settings (absent where not computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<crate::scores::Scored>,
}

/// A library an application loads, as its library score sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Library {
    /// As its ecosystem spells it (`org.apache.logging.log4j:log4j-core`).
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    /// When the version in use was released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Date>")]
    pub released_on: Option<jiff::civil::Date>,
    /// When the latest version was released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Date>")]
    pub latest_released_on: Option<jiff::civil::Date>,
    /// Versions released after the one in use.
    pub versions_behind: u32,
    pub cves: Vec<String>,
    /// The highest CVSS base score of its CVEs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highest_cvss: Option<f64>,
}

impl Library {
    /// What its score is computed from: years between the two releases (0 when unknown or current).
    pub fn facts(&self) -> crate::scores::LibraryFacts {
        let years_behind = match (self.released_on, self.latest_released_on) {
            (Some(used), Some(latest)) if latest > used => (latest - used).get_days() as f64 / 365.25,
            _ => 0.0,
        };
        crate::scores::LibraryFacts {
            years_behind,
            versions_behind: self.versions_behind,
            highest_cvss: self.highest_cvss,
        }
    }
}

/// A server running an agent; a licensed one uses a `protect` license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Server {
    pub id: Uuid,
    pub name: String,
    pub hostname: String,
    pub environment: Environment,
    /// The application language its agent instruments.
    pub language: String,
    pub agent_version: String,
    pub licensed: bool,
    /// Offline after 15 minutes without a heartbeat.
    pub status: crate::servers::ServerStatus,
    #[schemars(with = "crate::schema::Timestamp")]
    pub last_seen_at: Timestamp,
    #[schemars(with = "crate::schema::Timestamp")]
    pub registered_at: Timestamp,
}

/// The routes of the organization's licenses, applications and servers.
pub mod endpoints {
    use super::*;
    use crate::{Page, licensing::LicenseSummary, routes::*};

    crate::endpoints! {
        /// License totals, use and expirations.
        GetLicenses: Get LICENSES, Admin, params (), query (), body () => LicenseSummary;
        /// The organization's applications, each with its score.
        ListApplications: Get APPLICATIONS, Admin, params (), query (), body () => Page<Application>;
        /// The libraries an application loads, by name.
        ListLibraries: Get APPLICATION_LIBRARIES, Admin, params Uuid, query (), body () => Vec<Library>;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<GetLicenses>();
        v.visit::<ListApplications>();
        v.visit::<ListLibraries>();
    }
}
