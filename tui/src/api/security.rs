//! The security settings documents as one type (the Security tab's sections), and the audit export's
//! streaming to a file.

use std::path::Path;

use orgdeck_shared::{
    ApiError, ErrorCode,
    audit::AuditExportFormat as ExportFormat,
    password::PasswordPolicy,
    routes,
    security::{IpRestrictions, SessionSettings, TwoStepSettings},
};
use tokio::io::AsyncWriteExt;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportReport {
    pub bytes: u64,
    /// Lines of data (the CSV header not counted).
    pub rows: u64,
}

/// Streams a successful answer into the file `save` names, counting bytes and lines; a failure leaves
/// no partial file behind.
pub(super) async fn save_stream(rb: reqwest::RequestBuilder, save: &super::SaveTo) -> Result<ExportReport, ApiError> {
    let path = save.path.as_str();
    // No overall timeout: a large export streams for as long as it takes.
    let mut response = rb
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
    if save.overwrite {
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
    if save.csv {
        report.rows = report.rows.saturating_sub(1);
    }
    Ok(report)
}
