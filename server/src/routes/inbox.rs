//! The caller's in-app inbox: `GET inbox`, `POST inbox/{id}/read`, `POST inbox/read_all`. Every query
//! names the caller's organization and user, so another user's entry is no entry (404).

use axum::extract::{Path, State};
use orgdeck_shared::{
    inbox::{INBOX_PAGE_MAX, InboxPage, InboxQuery, Unread, endpoints as ep},
    validate::check_page_limit,
};
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::AuthUser,
    error::{AppError, AppResult},
    http::query::ApiQuery,
    state::AppState,
};

/// Entries a page lists unless asked otherwise.
const DEFAULT_LIMIT: u32 = 50;

fn no_entry() -> AppError {
    AppError::NotFound("inbox entry not found".into())
}

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> AppResult<Reply<ep::List>> {
    check_page_limit(query.limit, INBOX_PAGE_MAX).map_err(|e| AppError::Validation(vec![e]))?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let unread_only = query.unread.unwrap_or(false);
    let mut items = state
        .store
        .inbox(user.org_id, user.user_id, unread_only, query.cursor, limit + 1)
        .await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|e| e.id.to_string())
    } else {
        None
    };
    let unread = state.store.inbox_unread(user.org_id, user.user_id).await?;
    Ok(Reply::new(InboxPage {
        items,
        next_cursor,
        unread,
    }))
}

pub async fn read(State(state): State<AppState>, user: AuthUser, Path(id): Path<String>) -> AppResult<Reply<ep::Read>> {
    let id = Uuid::parse_str(&id).map_err(|_| no_entry())?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !tx.mark_inbox_read(user.org_id, user.user_id, id, now).await? {
        return Err(no_entry());
    }
    let unread = tx.inbox_unread_tx(user.org_id, user.user_id).await?;
    tx.commit().await?;
    Ok(Reply::new(Unread { unread }))
}

pub async fn read_all(State(state): State<AppState>, user: AuthUser) -> AppResult<Reply<ep::ReadAll>> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    tx.mark_inbox_all_read(user.org_id, user.user_id, now).await?;
    tx.commit().await?;
    Ok(Reply::new(Unread { unread: 0 }))
}
