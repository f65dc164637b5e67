//! `POST reports/preview` (SETTINGS.md section 9): an application's report under the report settings
//! being edited (or the saved ones), rendered by the shared renderer as Markdown or HTML.

use orgdeck_shared::{
    format::DateTimeStyle,
    reports::{
        PreviewRequest, ReportFormat, ReportPreview, ReportSettings,
        render::{ReportInput, listed, render},
    },
};

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    services::settings,
    state::AppState,
};

pub async fn preview(
    state: &AppState,
    admin: &OrgAdmin,
    req: PreviewRequest,
    format: ReportFormat,
) -> AppResult<ReportPreview> {
    let org_id = admin.org_id();
    let report_settings = match req.settings {
        Some(s) => {
            s.validate().map_err(|fields| {
                AppError::Validation(
                    fields
                        .into_iter()
                        .map(|f| orgdeck_shared::FieldError::new(format!("settings.{}", f.field), f.message))
                        .collect(),
                )
            })?;
            s
        }
        None => settings::doc::<ReportSettings>(state, org_id).await?.value,
    };
    let application = state
        .store
        .application(org_id, req.application_id)
        .await?
        .ok_or_else(|| AppError::NotFound("application not found".into()))?;
    let findings = state.store.findings(org_id, application.id).await?;
    let general = state.store.general_settings(org_id).await?.value;
    let dates = DateTimeStyle::of(&general);
    let input = ReportInput {
        organization: &general.name,
        application: &application,
        findings: &findings,
        generated_at: state.clock.now(),
        dates: &dates,
    };
    let content = render(&report_settings, &input, format);
    Ok(ReportPreview {
        application: application.name.clone(),
        format,
        listed: listed(&report_settings, &findings).len() as u32,
        total: findings.len() as u32,
        content,
    })
}
