//! `GET audit?q=&from=&to=&cursor=&limit=`, `GET audit/export?q=&from=&to=&format=csv|jsonl`.

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::IntoResponse,
};
use orgdeck_shared::audit::{AuditExportFormat, AuditExportQuery, AuditQuery, endpoints as ep};

use super::Reply;
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::query::ApiQuery,
    services::{audit as service, audit_export},
    state::AppState,
};

pub async fn search(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<Reply<ep::Search>> {
    query.validate().map_err(AppError::Validation)?;
    Ok(Reply::new(service::search(&state, &admin, query).await?))
}

pub async fn export(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiQuery(query): ApiQuery<AuditExportQuery>,
) -> AppResult<Reply<ep::Export>> {
    let format = query.format;
    let (content_type, ext) = match format {
        AuditExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        AuditExportFormat::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    let name = format!(
        "attachment; filename=\"audit-{}.{ext}\"",
        state.clock.now().strftime("%Y%m%dT%H%M%SZ")
    );
    let body = audit_export::export_body(state.clone(), admin.org_id(), query);
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(Reply::stream(resp))
}
