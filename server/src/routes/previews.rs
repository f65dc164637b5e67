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

/// The report as a file: `text/markdown` or `text/html`, named after the application.
pub async fn render(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiQuery(query): ApiQuery<PreviewQuery>,
    ApiJson(req): ApiJson<reports::PreviewRequest>,
) -> AppResult<Reply<reports::endpoints::Render>> {
    use axum::{
        http::{HeaderValue, header},
        response::IntoResponse,
    };
    let format = query.format.unwrap_or_default();
    let report = report_service::preview(&state, &admin, req, format).await?;
    let content_type = match format {
        reports::ReportFormat::Markdown => "text/markdown; charset=utf-8",
        reports::ReportFormat::Html => "text/html; charset=utf-8",
    };
    // The name holds only what needs no quoting: an application's name is the agent's words.
    let stem: String = report
        .application
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{stem}-report.{}\"", format.extension());
    let mut resp = report.content.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(Reply::stream(resp))
}

pub async fn scores(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(req): ApiJson<scores::PreviewRequest>,
) -> AppResult<Reply<scores::endpoints::Preview>> {
    Ok(Reply::new(scoring::preview(&state, &admin, req).await?))
}
