//! The SQL, as plain functions over a connection: used by the async store and by the operator commands.

mod agents;
mod api_keys;
mod audit;
mod deliveries;
mod groups;
mod inbox;
mod integrations;
mod inventory;
mod mail;
mod org;
mod security;
mod servers;
mod two_step;
mod users;

pub use agents::*;
pub use api_keys::*;
pub use audit::*;
pub use deliveries::*;
pub use groups::*;
pub use inbox::*;
pub use integrations::*;
pub use inventory::*;
pub use mail::*;
pub use org::*;
pub use security::*;
pub use servers::*;
pub use two_step::*;
pub use users::*;

use jiff::Timestamp;
use orgdeck_shared::{auth::OrgRole, general::Environment};
use uuid::Uuid;

use crate::store::{StoreError, StoreResult, UserStatus};

pub const AREA_GENERAL: &str = "general";
pub const AREA_SESSIONS: &str = "sessions";
pub const AREA_IP_RESTRICTIONS: &str = "ip_restrictions";
pub const AREA_TWO_STEP: &str = "two_step";

/// The PostgreSQL advisory lock every write transaction holds until it ends ("orgdwrit"): alone by a
/// transaction of the whole store (`Store::begin`), which then runs by itself as on SQLite; shared by one
/// of an organization (`Store::begin_org`), which also holds [`org_lock`]. So the rules that read and then
/// write (the last admin, a code used once, the first write of a settings area) hold as they do with one
/// writer, and each organization's audit places follow its commit order.
pub const WRITE_LOCK: i64 = 0x6f72_6764_7772_6974;

/// The advisory lock (in PostgreSQL's two-key space, apart from [`WRITE_LOCK`]'s) that a transaction of
/// organization `org` holds until it ends: its class, then a key folded from the id. Two organizations
/// whose keys collide only wait for each other.
pub fn org_lock(org: Uuid) -> (i32, i32) {
    /// "orgd" in ASCII.
    const CLASS: i32 = 0x6f72_6764;
    let (high, low) = org.as_u64_pair();
    let folded = high ^ low;
    (CLASS, ((folded >> 32) ^ folded) as u32 as i32)
}

/// Maps an engine error: uniqueness violations become conflicts, the rest stays opaque.
pub fn db_err(e: crate::store::sql::Error) -> StoreError {
    match e.unique_violation() {
        Some(msg) => StoreError::Conflict(msg),
        None => StoreError::Backend(Box::new(e)),
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub fn ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

pub fn ts(ms: i64) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(corrupt)
}

pub fn uuid(text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| corrupt(format!("id {text:?}: {e}")))
}

pub(crate) fn role(text: &str) -> StoreResult<OrgRole> {
    OrgRole::parse(text).ok_or_else(|| corrupt(format!("role {text:?}")))
}

pub(crate) fn status(text: &str) -> StoreResult<UserStatus> {
    UserStatus::parse(text).ok_or_else(|| corrupt(format!("status {text:?}")))
}

pub(crate) fn environment(text: &str) -> StoreResult<Environment> {
    Environment::parse(text).ok_or_else(|| corrupt(format!("environment {text:?}")))
}
