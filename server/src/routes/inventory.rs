//! `GET licenses`, `GET applications`, `GET servers`: read-only views for admins.

use axum::{Json, extract::State};
use orgdeck_shared::{
    Page,
    inventory::{Application, Server},
    licensing::LicenseSummary,
};

use crate::{auth::OrgAdmin, error::AppResult, services::licensing, state::AppState};

pub async fn licenses(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Json<LicenseSummary>> {
    let facts = state.store.licenses(admin.org_id()).await?;
    let today = state.clock.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    Ok(Json(licensing::summarize(&facts, today)))
}

pub async fn applications(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Json<Page<Application>>> {
    let items = state.store.applications(admin.org_id()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

pub async fn servers(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Json<Page<Server>>> {
    let items = state.store.servers(admin.org_id()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
