//! The security routes of the client: the four security settings documents, the audit log (search and a
//! streamed export) and a user's sessions.

use std::path::Path;

use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned,
    audit::{AuditEntry, AuditExportFormat as ExportFormat, AuditQuery},
    password::PasswordPolicy,
    routes,
    security::{ActiveSession, IpRestrictions, SessionSettings, TwoStepSettings},
};
use reqwest::Method;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::ApiClient;

/// One of the security settings documents, so one request and one reply carry any of them.
#[derive(Debug, Clone, PartialEq)]
pub enum SecurityDoc {
    PasswordPolicy(PasswordPolicy),
    Sessions(SessionSettings),
    IpRestrictions(IpRestrictions),
    TwoStep(TwoStepSettings),
}

/// Which security document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityArea {
    PasswordPolicy,
    Sessions,
    IpRestrictions,
    TwoStep,
}

impl SecurityArea {
    pub const ALL: [SecurityArea; 4] = [
        SecurityArea::PasswordPolicy,
        SecurityArea::Sessions,
        SecurityArea::IpRestrictions,
        SecurityArea::TwoStep,
    ];

    pub fn route(self) -> &'static str {
        use routes::area;
        match self {
            SecurityArea::PasswordPolicy => area::PASSWORD_POLICY,
            SecurityArea::Sessions => area::SESSIONS,
            SecurityArea::IpRestrictions => area::IP_RESTRICTIONS,
            SecurityArea::TwoStep => area::TWO_STEP,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SecurityArea::PasswordPolicy => "Password policy",
            SecurityArea::Sessions => "Sessions",
            SecurityArea::IpRestrictions => "IP restrictions",
            SecurityArea::TwoStep => "Two-step",
        }
    }
}

impl SecurityDoc {
    /// A document as a new organization has it.
    pub fn default_of(area: SecurityArea) -> SecurityDoc {
        match area {
            SecurityArea::PasswordPolicy => SecurityDoc::PasswordPolicy(Default::default()),
            SecurityArea::Sessions => SecurityDoc::Sessions(Default::default()),
            SecurityArea::IpRestrictions => SecurityDoc::IpRestrictions(Default::default()),
            SecurityArea::TwoStep => SecurityDoc::TwoStep(Default::default()),
        }
    }

    pub fn area(&self) -> SecurityArea {
        match self {
            SecurityDoc::PasswordPolicy(_) => SecurityArea::PasswordPolicy,
            SecurityDoc::Sessions(_) => SecurityArea::Sessions,
            SecurityDoc::IpRestrictions(_) => SecurityArea::IpRestrictions,
            SecurityDoc::TwoStep(_) => SecurityArea::TwoStep,
        }
    }
}

/// The format a file name asks for: `.jsonl` / `.json` / `.ndjson` is JSON lines, anything else CSV.
pub fn export_format_of_path(path: &str) -> ExportFormat {
    let lower = path.to_ascii_lowercase();
    if [".jsonl", ".json", ".ndjson"].iter().any(|e| lower.ends_with(e)) {
        ExportFormat::Jsonl
    } else {
        ExportFormat::Csv
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    pub bytes: u64,
    /// Lines of data (the CSV header not counted).
    pub rows: u64,
}

/// `?q=...&from=...` of an audit search or export (only the fields set).
pub fn audit_query_string(q: &AuditQuery, format: Option<ExportFormat>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(v) = &q.q {
        pairs.push(("q", v.clone()));
    }
    if let Some(v) = q.from {
        pairs.push(("from", v.to_string()));
    }
    if let Some(v) = q.to {
        pairs.push(("to", v.to_string()));
    }
    if let Some(v) = &q.cursor {
        pairs.push(("cursor", v.clone()));
    }
    if let Some(v) = q.limit {
        pairs.push(("limit", v.to_string()));
    }
    if let Some(f) = format {
        pairs.push(("format", f.as_str().to_owned()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", super::users::encode(v)))
        .collect();
    format!("?{}", joined.join("&"))
}

impl ApiClient {
    pub async fn security(&self, area: SecurityArea) -> Result<Versioned<SecurityDoc>, ApiError> {
        fn wrap<T>(v: Versioned<T>, f: impl FnOnce(T) -> SecurityDoc) -> Versioned<SecurityDoc> {
            Versioned {
                version: v.version,
                value: f(v.value),
            }
        }
        let route = area.route();
        Ok(match area {
            SecurityArea::PasswordPolicy => wrap(self.get_settings(route).await?, SecurityDoc::PasswordPolicy),
            SecurityArea::Sessions => wrap(self.get_settings(route).await?, SecurityDoc::Sessions),
            SecurityArea::IpRestrictions => wrap(self.get_settings(route).await?, SecurityDoc::IpRestrictions),
            SecurityArea::TwoStep => wrap(self.get_settings(route).await?, SecurityDoc::TwoStep),
        })
    }

    pub async fn put_security(&self, version: i64, doc: &SecurityDoc) -> Result<Versioned<SecurityDoc>, ApiError> {
        fn wrap<T>(v: Versioned<T>, f: impl FnOnce(T) -> SecurityDoc) -> Versioned<SecurityDoc> {
            Versioned {
                version: v.version,
                value: f(v.value),
            }
        }
        let route = doc.area().route();
        Ok(match doc {
            SecurityDoc::PasswordPolicy(v) => {
                wrap(self.put_settings(route, version, v).await?, SecurityDoc::PasswordPolicy)
            }
            SecurityDoc::Sessions(v) => wrap(self.put_settings(route, version, v).await?, SecurityDoc::Sessions),
            SecurityDoc::IpRestrictions(v) => {
                wrap(self.put_settings(route, version, v).await?, SecurityDoc::IpRestrictions)
            }
            SecurityDoc::TwoStep(v) => wrap(self.put_settings(route, version, v).await?, SecurityDoc::TwoStep),
        })
    }

    pub async fn audit(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, ApiError> {
        let path = format!("{}{}", routes::AUDIT, audit_query_string(query, None));
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// Streams `GET audit/export` into the file at `path`, chunk by chunk. The file is created new unless
    /// `overwrite`; a failed export removes what it wrote.
    pub async fn export_audit(
        &self,
        query: &AuditQuery,
        format: ExportFormat,
        path: &str,
        overwrite: bool,
    ) -> Result<ExportReport, ApiError> {
        let url = format!("{}{}", routes::AUDIT_EXPORT, audit_query_string(query, Some(format)));
        // No overall timeout: a large export streams for as long as it takes.
        let mut response = self
            .request(Method::GET, &url)
            .timeout(std::time::Duration::from_secs(24 * 3600))
            .send()
            .await
            .map_err(super::network_error)?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            return Err(super::error_from_body(status, &body));
        }
        let file_error = |e: std::io::Error| ApiError::new(ErrorCode::Unknown, format!("cannot write {path}: {e}"));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true);
        if overwrite {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        let mut file = options.open(Path::new(path)).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                // The console asks before overwriting, then sends again with `overwrite`.
                ApiError::new(ErrorCode::Conflict, format!("{path} already exists"))
            } else {
                file_error(e)
            }
        })?;
        let mut report = ExportReport { bytes: 0, rows: 0 };
        let result: Result<(), ApiError> = async {
            while let Some(chunk) = response.chunk().await.map_err(super::network_error)? {
                report.bytes += chunk.len() as u64;
                report.rows += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                file.write_all(&chunk).await.map_err(file_error)?;
            }
            file.flush().await.map_err(file_error)
        }
        .await;
        if let Err(e) = result {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
            return Err(e);
        }
        if matches!(format, ExportFormat::Csv) {
            report.rows = report.rows.saturating_sub(1);
        }
        Ok(report)
    }

    pub async fn user_sessions(&self, user: Uuid) -> Result<Vec<ActiveSession>, ApiError> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum List {
            Plain(Vec<ActiveSession>),
            Page(Page<ActiveSession>),
        }
        let list: List = self
            .call::<(), _>(Method::GET, &routes::user_sessions(user), None)
            .await?;
        Ok(match list {
            List::Plain(v) => v,
            List::Page(p) => p.items,
        })
    }

    /// Ends one session of a user, or all of them (`session: None`).
    pub async fn end_sessions(&self, user: Uuid, session: Option<&str>) -> Result<(), ApiError> {
        let path = match session {
            Some(s) => routes::user_session(user, &super::users::encode(s)),
            None => routes::user_sessions(user),
        };
        let _: serde_json::Value = self.call::<(), _>(Method::DELETE, &path, None).await?;
        Ok(())
    }
}
