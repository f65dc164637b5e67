//! `GET licenses`, `GET applications`, `GET servers`: read-only views for admins.

use axum::extract::State;
use orgdeck_shared::{Page, inventory::endpoints as ep};

use super::Reply;
use crate::{auth::OrgAdmin, error::AppResult, services::licensing, state::AppState};

pub async fn licenses(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::GetLicenses>> {
    let facts = state.store.licenses(admin.org_id()).await?;
    let today = state.clock.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    Ok(Reply::new(licensing::summarize(&facts, today)))
}

pub async fn applications(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::ListApplications>> {
    let items = state.store.applications(admin.org_id()).await?;
    Ok(Reply::new(Page {
        items,
        next_cursor: None,
    }))
}

pub async fn servers(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::ListServers>> {
    let items = state.store.servers(admin.org_id()).await?;
    Ok(Reply::new(Page {
        items,
        next_cursor: None,
    }))
}
