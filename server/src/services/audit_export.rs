//! `GET audit/export`: the whole search as CSV or JSON lines, read page by page and streamed, so an
//! export of millions of entries never sits in memory.

use axum::body::{Body, Bytes};
use orgdeck_shared::audit::{AUDIT_CSV_HEADER, AuditEntry, AuditExportFormat, AuditExportQuery};
use uuid::Uuid;

use crate::{state::AppState, store::AuditFilter};

/// Entries read per page.
const EXPORT_PAGE: u32 = 1000;

/// A value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
fn defuse(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// CSV lines (CRLF) through the `csv` crate: a field is quoted when it holds a comma, quote, CR or LF,
/// quotes doubled; every value defused first.
fn csv_lines<'a>(rows: impl IntoIterator<Item = Vec<&'a str>>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a `Vec` cannot fail.
        let _ = writer.write_record(row.into_iter().map(|f| defuse(f).into_owned()));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn render(format: AuditExportFormat, page: &[AuditEntry]) -> String {
    match format {
        AuditExportFormat::Csv => {
            let rows: Vec<[String; 4]> = page
                .iter()
                .map(|e| {
                    [
                        e.id.to_string(),
                        e.at.to_string(),
                        e.actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
                        serde_json::to_string(&e.changes).unwrap_or_default(),
                    ]
                })
                .collect();
            csv_lines(page.iter().zip(&rows).map(|(e, [id, at, actor_id, changes])| {
                vec![
                    id.as_str(),
                    at.as_str(),
                    &e.actor.email,
                    actor_id.as_str(),
                    &e.action,
                    &e.target.kind,
                    &e.target.id,
                    e.ip.as_deref().unwrap_or(""),
                    &e.summary,
                    changes.as_str(),
                ]
            }))
        }
        AuditExportFormat::Jsonl => {
            let mut out = String::new();
            for e in page {
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
                out.push('\n');
            }
            out
        }
    }
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
            chunk.push_str(&csv_lines([AUDIT_CSV_HEADER.to_vec()]));
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
        let field = |v: &str| csv_lines([vec![v]]).trim_end_matches("\r\n").to_owned();
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
        assert_eq!(csv_lines([vec!["a", "b"], vec!["c", ""]]), "a,b\r\nc,\r\n");
    }
}
