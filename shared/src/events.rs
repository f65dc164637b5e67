//! Live updates: every change in an organization, as the audit log records it, streamed to its consoles
//! (`GET events/stream`, server-sent events) so what they show stays current and an edit in progress learns
//! that someone else changed its document. An event says what changed and who changed it; never a
//! document's body, never a secret.
//!
//! Each event's SSE `id` is its place in the log: a client that reconnects sends it back as
//! `Last-Event-ID` and gets what it missed, or a `reload` event when too much happened meanwhile.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The SSE event name of a change.
pub const CHANGE: &str = "change";
/// The SSE event name that tells a client to read everything again (it missed more than can be replayed).
pub const RELOAD: &str = "reload";
/// Most events a reconnecting client gets replayed; beyond, it is told to reload.
pub const REPLAY_MAX: usize = 500;

/// One change in the caller's organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangeEvent {
    /// Its place in the organization's stream (the SSE id; `Last-Event-ID` resumes after it).
    pub seq: i64,
    #[schemars(with = "crate::schema::Timestamp")]
    pub at: Timestamp,
    /// What happened: the audit action (`settings.update`, `user.create`, `api_key.rotate`...).
    pub kind: String,
    /// What kind of thing changed: `settings`, `user`, `group`, `api_key`, `session`...
    pub area: String,
    /// Which one: a settings area's name, a user's id...
    pub id: String,
    /// The new version, when the changed thing is a versioned document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Who changed it (an email, or `system`).
    pub actor: String,
}

/// The route of the stream.
pub mod endpoints {
    use crate::routes::*;

    crate::endpoints! {
        /// Server-sent change events of the caller's organization, for as long as the client stays.
        Stream: Get EVENTS_STREAM, User, params (), query (), body () => String, answer_content EventStream;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<Stream>();
    }
}
