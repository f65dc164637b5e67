//! The in-app inbox (SETTINGS.md section 8): one entry per recipient of each event the notification
//! settings deliver in-app, newest first, read or unread. `GET me` carries the unread count; the console
//! shows it in its status line.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::notifications::{EventType, Severity};

/// What an entry is about, by id and the name it had when the event happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subject {
    pub id: Uuid,
    pub name: String,
}

/// One in-app notification of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboxEntry {
    pub id: Uuid,
    pub event_type: EventType,
    /// One line (`High vulnerability in Shop: SQL injection in login`).
    pub title: String,
    /// The details, plain text, maybe several lines.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The application the event is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Subject>,
    /// The server (agent) the event is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<Subject>,
    /// The integration the event is about (`integration_disabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Subject>,
    /// The vulnerability a `new_vulnerability` entry reports (it can be sent to a bug tracker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_id: Option<Uuid>,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    /// When the caller marked it read; absent while unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub read_at: Option<Timestamp>,
}

/// `GET inbox?unread=&cursor=&limit=`: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboxQuery {
    /// Only unread entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<bool>,
    /// The last id of the previous page (ids grow with time, so the next page is older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The largest page of `GET inbox?limit=` (the default is 50).
pub const INBOX_PAGE_MAX: u32 = 200;

/// One page of the inbox with the caller's unread count at the time it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboxPage {
    pub items: Vec<InboxEntry>,
    pub next_cursor: Option<String>,
    pub unread: u64,
}

/// The answer of marking entries read: how many are still unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unread {
    pub unread: u64,
}

/// The routes of the inbox: each caller reads and marks only their own entries.
pub mod endpoints {
    use super::*;
    use crate::routes::*;

    crate::endpoints! {
        /// The caller's in-app notifications, newest first.
        List: Get INBOX, User, params (), query InboxQuery, body () => InboxPage;
        /// Marks one of the caller's entries read (again: no change).
        Read: Post INBOX_READ, User, params Uuid, query (), body () => Unread, body_required false;
        /// Marks every entry of the caller read.
        ReadAll: Post INBOX_READ_ALL, User, params (), query (), body () => Unread, body_required false;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<List>();
        v.visit::<Read>();
        v.visit::<ReadAll>();
    }
}
