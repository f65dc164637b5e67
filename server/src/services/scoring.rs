//! Scores (SETTINGS.md section 10) of the organization's applications, with the shared formulas: under
//! the saved score settings for `GET applications`, and under settings being edited for
//! `POST scores/preview` (nothing saved).

use std::collections::HashMap;

use orgdeck_shared::{
    inventory::Application,
    scores::{ApplicationScore, PreviewRequest, ScoreInputs, ScorePreview, ScoreSettings, score},
};
use uuid::Uuid;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    services::settings,
    state::AppState,
};

/// Every application with what it is scored from.
async fn inputs(state: &AppState, org_id: Uuid) -> AppResult<Vec<(Application, ScoreInputs)>> {
    let apps = state.store.applications(org_id).await?;
    let mut libraries: HashMap<Uuid, Vec<_>> = HashMap::new();
    for (app, lib) in state.store.all_libraries(org_id).await? {
        libraries.entry(app).or_default().push(lib.facts());
    }
    Ok(apps
        .into_iter()
        .map(|a| {
            let inputs = ScoreInputs {
                language: a.language.clone(),
                counts: a.open_vulnerabilities,
                libraries: libraries.remove(&a.id).unwrap_or_default(),
            };
            (a, inputs)
        })
        .collect())
}

/// `GET applications`: each with its score under the saved settings.
pub async fn applications(state: &AppState, org_id: Uuid) -> AppResult<Vec<Application>> {
    let saved = settings::doc::<ScoreSettings>(state, org_id).await?.value;
    Ok(inputs(state, org_id)
        .await?
        .into_iter()
        .map(|(mut a, i)| {
            a.score = Some(score(&saved, &i));
            a
        })
        .collect())
}

/// `POST scores/preview`: every application now and under `req.settings` (checked as a save would be).
pub async fn preview(state: &AppState, admin: &OrgAdmin, req: PreviewRequest) -> AppResult<ScorePreview> {
    req.settings.validate().map_err(AppError::Validation)?;
    let saved = settings::doc::<ScoreSettings>(state, admin.org_id()).await?;
    let applications = inputs(state, admin.org_id())
        .await?
        .into_iter()
        .map(|(a, inputs)| ApplicationScore {
            application_id: a.id,
            name: a.name,
            now: score(&saved.value, &inputs),
            edited: score(&req.settings, &inputs),
            inputs,
        })
        .collect();
    Ok(ScorePreview {
        saved_version: saved.version,
        applications,
    })
}
