//! The orgdeck API contract: wire types, route paths and validation shared by the server and the console.
//!
//! Nothing here does I/O. Every configurable area is one typed settings document read as
//! [`Versioned<T>`] and written back with the version it started from, so two admins never silently
//! overwrite each other. Validation lives on the types, so the console shows the same field errors the
//! server enforces.

pub mod account;
pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod endpoint;
pub mod error;
pub mod events;
pub mod format;
pub mod general;
pub mod groups;
pub mod inbox;
pub mod integrations;
pub mod inventory;
pub mod licensing;
pub mod notifications;
pub mod openapi;
pub mod password;
pub mod reports;
pub mod routes;
mod schema;
pub mod scores;
pub mod security;
pub mod servers;
pub mod settings;
pub mod users;
pub mod validate;
pub mod vulnerabilities;

pub use error::{ApiError, ErrorCode, FieldError};

use serde::{Deserialize, Serialize};

/// A settings document with the version it was read at. Writes send `version` back in `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Versioned{T}")]
pub struct Versioned<T> {
    pub version: i64,
    pub value: T,
}

impl<T> Versioned<T> {
    /// The `ETag` / `If-Match` header value of this version (a strong, quoted entity tag).
    pub fn etag(&self) -> String {
        etag_for(self.version)
    }
}

impl<T> endpoint::HasVersion for Versioned<T> {
    fn version(&self) -> i64 {
        self.version
    }
}

/// The entity tag of a settings version: `"7"`.
pub fn etag_for(version: i64) -> String {
    format!("\"{version}\"")
}

/// Parses an `If-Match` value (`"7"`, `W/"7"` or `7`) into a version.
pub fn parse_etag(value: &str) -> Option<i64> {
    let v = value.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    let v = v.trim_matches('"');
    v.parse().ok()
}

/// A page of a list, with the cursor of the next page when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "PageOf{T}")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip_and_accept_weak_and_bare_forms() {
        assert_eq!(etag_for(7), "\"7\"");
        assert_eq!(parse_etag("\"7\""), Some(7));
        assert_eq!(parse_etag("W/\"12\""), Some(12));
        assert_eq!(parse_etag(" 3 "), Some(3));
        assert_eq!(parse_etag("\"abc\""), None);
    }
}
