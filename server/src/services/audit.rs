//! Audit search: newest first, paged with a keyset cursor over `(at, id)`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jiff::Timestamp;
use orgdeck_shared::{
    Page,
    audit::{AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AuditEntry, AuditQuery},
};
use uuid::Uuid;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::AuditFilter,
};

/// The cursor of the page after `entry`: its position, opaque to clients.
pub fn encode_cursor(entry: &AuditEntry) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", entry.at.as_millisecond(), entry.id))
}

pub fn decode_cursor(cursor: &str) -> Option<(Timestamp, Uuid)> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let (ms, id) = text.split_once('.')?;
    Some((
        Timestamp::from_millisecond(ms.parse().ok()?).ok()?,
        Uuid::parse_str(id).ok()?,
    ))
}

pub async fn search(state: &AppState, admin: &OrgAdmin, query: AuditQuery) -> AppResult<Page<AuditEntry>> {
    let limit = query.limit.unwrap_or(AUDIT_PAGE_DEFAULT).clamp(1, AUDIT_PAGE_MAX);
    let before = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c).ok_or_else(|| AppError::BadRequest("invalid cursor".into()))?),
        None => None,
    };
    let keyword = query.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
    let filter = AuditFilter {
        keyword,
        from: query.from,
        to: query.to,
        before,
        limit: limit + 1,
    };
    let mut items = state.store.audit_search(admin.org_id(), &filter).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(encode_cursor)
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgdeck_shared::audit::{AuditActor, AuditTarget};

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let e = AuditEntry {
            id: Uuid::now_v7(),
            at: Timestamp::from_millisecond(1_790_000_000_123).unwrap(),
            actor: AuditActor::system(),
            action: "x".into(),
            target: AuditTarget::new("a", "b"),
            ip: None,
            summary: String::new(),
            changes: vec![],
        };
        assert_eq!(decode_cursor(&encode_cursor(&e)), Some((e.at, e.id)));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("12.nope")), None);
    }
}
