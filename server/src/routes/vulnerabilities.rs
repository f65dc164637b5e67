//! `GET applications/{id}/vulnerabilities`: an application's vulnerabilities, for admins.

use axum::extract::{Path, State};
use orgdeck_shared::{
    Page,
    validate::check_page_limit,
    vulnerabilities::{VULNERABILITY_PAGE_MAX, VulnerabilityQuery, endpoints as ep},
};
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::query::ApiQuery,
    state::AppState,
};

/// Vulnerabilities a page lists unless asked otherwise.
const DEFAULT_LIMIT: u32 = 100;

fn no_application() -> AppError {
    AppError::NotFound("application not found".into())
}

pub async fn list(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<VulnerabilityQuery>,
) -> AppResult<Reply<ep::ListForApplication>> {
    check_page_limit(query.limit, VULNERABILITY_PAGE_MAX).map_err(|e| AppError::Validation(vec![e]))?;
    let application = Uuid::parse_str(&id).map_err(|_| no_application())?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let mut items = state
        .store
        .vulnerabilities(admin.org_id(), application, query.cursor, limit + 1)
        .await?
        .ok_or_else(no_application)?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|v| v.id.to_string())
    } else {
        None
    };
    Ok(Reply::new(Page { items, next_cursor }))
}
