//! `GET audit?q=&from=&to=&cursor=&limit=`.

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use orgdeck_shared::{
    Page,
    audit::{AuditEntry, AuditQuery},
};

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    services::audit as service,
    state::AppState,
};

pub async fn search(
    State(state): State<AppState>,
    admin: OrgAdmin,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Json<Page<AuditEntry>>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(service::search(&state, &admin, query).await?))
}
