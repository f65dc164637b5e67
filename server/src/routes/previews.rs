//! `POST reports/preview` and `POST scores/preview`: what report and score settings would do, before
//! they are saved (admins).

use axum::extract::State;
use orgdeck_shared::{
    reports::{self, PreviewQuery},
    scores,
};

use super::Reply;
use crate::{
    auth::OrgAdmin,
    error::AppResult,
    http::{json::ApiJson, query::ApiQuery},
    services::{reports as report_service, scoring},
    state::AppState,
};

pub async fn report(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiQuery(query): ApiQuery<PreviewQuery>,
    ApiJson(req): ApiJson<reports::PreviewRequest>,
) -> AppResult<Reply<reports::endpoints::Preview>> {
    let format = query.format.unwrap_or_default();
    Ok(Reply::new(report_service::preview(&state, &admin, req, format).await?))
}

pub async fn scores(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(req): ApiJson<scores::PreviewRequest>,
) -> AppResult<Reply<scores::endpoints::Preview>> {
    Ok(Reply::new(scoring::preview(&state, &admin, req).await?))
}
