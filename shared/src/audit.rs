//! The audit log: one append-only entry for every change, login and security event.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What every redacted secret reads as in `changes`.
pub const REDACTED: &str = "***";

/// Who did it: a user, or the system itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditActor {
    pub user_id: Option<Uuid>,
    /// The user's email, or `system`.
    pub email: String,
}

impl AuditActor {
    pub fn system() -> Self {
        Self {
            user_id: None,
            email: "system".into(),
        }
    }
}

impl fmt::Display for AuditActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.email)
    }
}

/// What it was done to: `{kind: "settings", id: "general"}`, `{kind: "user", id: "<uuid>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditTarget {
    pub kind: String,
    pub id: String,
}

impl AuditTarget {
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

impl fmt::Display for AuditTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// One field's change: `old -> new`, with secrets already redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// A UUIDv7: entries sort by it in time order.
    pub id: Uuid,
    #[schemars(with = "crate::schema::Timestamp")]
    pub at: Timestamp,
    pub actor: AuditActor,
    /// `area.verb`, e.g. `settings.update`, `auth.login`, `auth.login_failed`.
    pub action: String,
    pub target: AuditTarget,
    pub ip: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
}

/// `GET audit?q=&from=&to=&cursor=&limit=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditQuery {
    /// Matches summary, actor, action and target, case-insensitively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub to: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Default and largest page sizes of audit searches.
pub const AUDIT_PAGE_DEFAULT: u32 = 50;
pub const AUDIT_PAGE_MAX: u32 = 500;

impl AuditQuery {
    /// `limit` is 1 to [`AUDIT_PAGE_MAX`] when given.
    pub fn validate(&self) -> Result<(), Vec<crate::FieldError>> {
        crate::validate::check_page_limit(self.limit, AUDIT_PAGE_MAX).map_err(|e| vec![e])
    }
}

/// The field changes between two versions of a document, top-level fields in order, with the fields
/// named in `secret_fields` redacted on both sides.
pub fn diff_fields<T: Serialize>(old: &T, new: &T, secret_fields: &[&str]) -> Vec<FieldChange> {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) = (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    for (field, new_value) in &new {
        let old_value = old.get(field).cloned().unwrap_or(Value::Null);
        if &old_value == new_value {
            continue;
        }
        let (old_value, new_value) = if secret_fields.contains(&field.as_str()) {
            (Value::String(REDACTED.into()), Value::String(REDACTED.into()))
        } else {
            (old_value, new_value.clone())
        };
        changes.push(FieldChange {
            field: field.clone(),
            old: old_value,
            new: new_value,
        });
    }
    changes
}

/// The routes of the audit log.
pub mod endpoints {
    use super::*;
    use crate::{Page, routes::*};

    crate::endpoints! {
        /// One page of an audit search, newest first.
        Search: Get AUDIT, Admin, params (), query AuditQuery, body () => Page<AuditEntry>;
        /// The whole search, streamed as CSV or JSON lines.
        Export: Get AUDIT_EXPORT, Admin, params (), query AuditExportQuery, body () => String, answer_content Export;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<Search>();
        v.visit::<Export>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc {
        name: String,
        token: String,
        size: u32,
    }

    #[test]
    fn diff_lists_only_changed_fields_and_redacts_secrets() {
        let a = Doc {
            name: "a".into(),
            token: "s1".into(),
            size: 1,
        };
        let b = Doc {
            name: "b".into(),
            token: "s2".into(),
            size: 1,
        };
        let changes = diff_fields(&a, &b, &["token"]);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].field, "name");
        assert_eq!(changes[0].old, "a");
        assert_eq!(changes[0].new, "b");
        assert_eq!(changes[1].field, "token");
        assert_eq!(changes[1].new, REDACTED);
        assert!(!serde_json::to_string(&changes).unwrap().contains("s2"));
    }
}

/// The file formats of `GET audit/export`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditExportFormat {
    #[default]
    Csv,
    Jsonl,
}

impl AuditExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditExportFormat::Csv => "csv",
            AuditExportFormat::Jsonl => "jsonl",
        }
    }
}

/// `GET audit/export?q=&from=&to=&format=csv|jsonl`: the whole search, streamed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditExportQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub to: Option<Timestamp>,
    #[serde(default)]
    pub format: AuditExportFormat,
}

/// The columns of the CSV export, in order.
pub const AUDIT_CSV_HEADER: [&str; 10] = [
    "id",
    "at",
    "actor_email",
    "actor_user_id",
    "action",
    "target_kind",
    "target_id",
    "ip",
    "summary",
    "changes",
];
