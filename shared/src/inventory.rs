//! The organization's applications and servers (agents), as `GET applications` and `GET servers` list them.

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
}

/// A server running an agent; a licensed one uses a `protect` license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Server {
    pub id: Uuid,
    pub name: String,
    pub hostname: String,
    pub environment: Environment,
    pub agent_version: String,
    pub licensed: bool,
}

/// The routes of the organization's licenses, applications and servers.
pub mod endpoints {
    use super::*;
    use crate::{Page, licensing::LicenseSummary, routes::*};

    crate::endpoints! {
        /// License totals, use and expirations.
        GetLicenses: Get LICENSES, Admin, params (), query (), body () => LicenseSummary;
        /// The organization's applications.
        ListApplications: Get APPLICATIONS, Admin, params (), query (), body () => Page<Application>;
        /// The organization's servers.
        ListServers: Get SERVERS, Admin, params (), query (), body () => Page<Server>;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<GetLicenses>();
        v.visit::<ListApplications>();
        v.visit::<ListServers>();
    }
}
