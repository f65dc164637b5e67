//! A channel's delivery log (`GET integrations/{id}/deliveries`) and Redeliver (`POST
//! integrations/{id}/deliveries/{delivery_id}/redeliver`): admins of the organization only; another
//! organization's integration or delivery is not found.

use orgdeck_shared::{
    Page,
    integrations::{
        DELIVERY_PAGE_DEFAULT, DELIVERY_PAGE_MAX, Delivery, DeliveryQuery, DeliveryStatus, IntegrationStatus,
    },
    validate::check_page_limit,
};
use uuid::Uuid;

use super::{audit, no_integration};
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::DeliveryUpdate,
};

fn no_delivery() -> AppError {
    AppError::NotFound("delivery not found".into())
}

/// The log, newest first; `next_cursor` is the last id of the page when more follow.
pub async fn list(state: &AppState, admin: &OrgAdmin, id: Uuid, query: DeliveryQuery) -> AppResult<Page<Delivery>> {
    check_page_limit(query.limit, DELIVERY_PAGE_MAX).map_err(|e| AppError::Validation(vec![e]))?;
    let org_id = admin.org_id();
    state.store.integration(org_id, id).await?.ok_or_else(no_integration)?;
    let limit = query.limit.unwrap_or(DELIVERY_PAGE_DEFAULT);
    let mut items = state.store.deliveries(org_id, id, query.cursor, limit + 1).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|d| d.id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Sends a delivery again with its `webhook-id`: due now, the schedule started over. Refused while the
/// integration is switched off or disabled (a successful Test enables it again), and while the delivery
/// is still open (it is going out already). Audited.
pub async fn redeliver(state: &AppState, admin: &OrgAdmin, id: Uuid, delivery_id: Uuid) -> AppResult<Delivery> {
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let integration = tx.integration_tx(org_id, id).await?.ok_or_else(no_integration)?.view;
    let row = tx.delivery_tx(org_id, id, delivery_id).await?.ok_or_else(no_delivery)?;
    match &integration.status {
        IntegrationStatus::Disabled { .. } => {
            return Err(AppError::Conflict(format!(
                "{} was disabled after failed deliveries: run its Test first (a success enables it again)",
                integration.name
            )));
        }
        IntegrationStatus::Off => {
            return Err(AppError::Conflict(format!(
                "{} is switched off: switch it on first",
                integration.name
            )));
        }
        IntegrationStatus::Active => {}
    }
    if row.view.status.open() {
        return Err(AppError::Conflict(format!(
            "this delivery is still {}: it goes out by itself",
            row.view.status.as_str()
        )));
    }
    let update = DeliveryUpdate {
        id: delivery_id,
        status: DeliveryStatus::Pending,
        tries: 0,
        attempts: row.view.attempts.clone(),
        next_attempt_at: Some(now),
        claim: None,
    };
    tx.update_delivery(&update).await?;
    tx.append_audit(&audit(
        admin,
        now,
        "integration.redeliver",
        id,
        format!(
            "Delivery {} ({}) to {} sent again",
            row.view.message_id, row.view.title, integration.name
        ),
    ))
    .await?;
    tx.commit().await?;
    state.deliveries.notify_one();
    Ok(Delivery {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(now),
        ..row.view
    })
}
