//! `GET licenses`, `GET applications`, `GET applications/{id}/libraries`: read-only views for admins.

use axum::extract::{Path, State};
use orgdeck_shared::{Page, inventory::endpoints as ep};

use super::Reply;
use uuid::Uuid;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    services::{licensing, scoring},
    state::AppState,
};

pub async fn licenses(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::GetLicenses>> {
    let facts = state.store.licenses(admin.org_id()).await?;
    let today = state.clock.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    Ok(Reply::new(licensing::summarize(&facts, today)))
}

/// Each with its score under the saved score settings.
pub async fn applications(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::ListApplications>> {
    let items = scoring::applications(&state, admin.org_id()).await?;
    Ok(Reply::new(Page {
        items,
        next_cursor: None,
    }))
}

pub async fn libraries(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::ListLibraries>> {
    let not_found = || AppError::NotFound("application not found".into());
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let libraries = state.store.libraries(admin.org_id(), id).await?.ok_or_else(not_found)?;
    Ok(Reply::new(libraries))
}
