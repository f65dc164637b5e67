//! `GET audit/export`: the whole search as CSV or JSON lines, read page by page and streamed, so an
//! export of millions of entries never sits in memory.

use axum::body::{Body, Bytes};
use orgdeck_shared::audit::{AUDIT_CSV_HEADER, AuditEntry, AuditExportFormat, AuditExportQuery};
use uuid::Uuid;

use crate::{state::AppState, store::AuditFilter};

/// Entries read per page.
const EXPORT_PAGE: u32 = 1000;

/// One CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled); a value a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
pub fn csv_field(value: &str) -> String {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn csv_line(fields: &[&str]) -> String {
    let mut line = fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn csv_row(e: &AuditEntry) -> String {
    let changes = serde_json::to_string(&e.changes).unwrap_or_default();
    let at = e.at.to_string();
    let id = e.id.to_string();
    let actor_id = e.actor.user_id.map(|u| u.to_string()).unwrap_or_default();
    csv_line(&[
        &id,
        &at,
        &e.actor.email,
        &actor_id,
        &e.action,
        &e.target.kind,
        &e.target.id,
        e.ip.as_deref().unwrap_or(""),
        &e.summary,
        &changes,
    ])
}

fn render(format: AuditExportFormat, page: &[AuditEntry]) -> String {
    let mut out = String::new();
    for e in page {
        match format {
            AuditExportFormat::Csv => out.push_str(&csv_row(e)),
            AuditExportFormat::Jsonl => {
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    out
}

struct Cursor {
    state: AppState,
    org_id: Uuid,
    filter: AuditFilter,
    format: AuditExportFormat,
    header: bool,
    done: bool,
}

/// The streamed body of an export of the organization's entries matching `query`.
pub fn export_body(state: AppState, org_id: Uuid, query: AuditExportQuery) -> Body {
    let keyword = query.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
    let start = Cursor {
        state,
        org_id,
        filter: AuditFilter {
            keyword,
            from: query.from,
            to: query.to,
            before: None,
            limit: EXPORT_PAGE,
        },
        format: query.format,
        header: query.format == AuditExportFormat::Csv,
        done: false,
    };
    let stream = futures_util::stream::unfold(start, |mut c| async move {
        if c.done {
            return None;
        }
        let mut chunk = String::new();
        if c.header {
            c.header = false;
            chunk.push_str(&csv_line(&AUDIT_CSV_HEADER));
        }
        match c.state.store.audit_search(c.org_id, &c.filter).await {
            Ok(page) => {
                c.done = page.len() < EXPORT_PAGE as usize;
                c.filter.before = page.last().map(|e| (e.at, e.id));
                chunk.push_str(&render(c.format, &page));
                Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), c))
            }
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                c.done = true;
                Some((Err(std::io::Error::other("audit export failed")), c))
            }
        }
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
