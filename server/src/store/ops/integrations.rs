//! Integrations: one row each, the view's fields as columns and JSON, the secrets sealed.

use std::collections::BTreeMap;

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params};
use orgdeck_shared::integrations::{
    Applications, Integration, IntegrationKind, IntegrationSettings, IntegrationStatus,
};
use uuid::Uuid;

use super::{corrupt, db_err, ms, ts, uuid};
use crate::store::{IntegrationRow, StoreError, StoreResult, integration_name_key};

const COLUMNS: &str = "id, name, kind, enabled, applications, settings, secrets, secret_names, target, status, \
     disabled_reason, disabled_at, failures, version, created_at, updated_at";

fn kind(text: &str) -> StoreResult<IntegrationKind> {
    IntegrationKind::ALL
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| corrupt(format!("integration kind {text:?}")))
}

struct Raw {
    id: String,
    name: String,
    kind: String,
    enabled: bool,
    applications: String,
    settings: String,
    secrets: Option<Vec<u8>>,
    secret_names: String,
    target: String,
    status: String,
    disabled_reason: Option<String>,
    disabled_at: Option<i64>,
    failures: u32,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

fn raw(r: &Row<'_>) -> sql::Result<Raw> {
    Ok(Raw {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        enabled: r.get(3)?,
        applications: r.get(4)?,
        settings: r.get(5)?,
        secrets: r.get(6)?,
        secret_names: r.get(7)?,
        target: r.get(8)?,
        status: r.get(9)?,
        disabled_reason: r.get(10)?,
        disabled_at: r.get(11)?,
        failures: r.get(12)?,
        version: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

fn into_row(r: Raw) -> StoreResult<IntegrationRow> {
    let kind = kind(&r.kind)?;
    let settings: IntegrationSettings = serde_json::from_str(&r.settings).map_err(corrupt)?;
    if settings.kind() != kind {
        return Err(corrupt(format!(
            "integration {}: settings of {} in a {} row",
            r.id,
            settings.kind().as_str(),
            kind.as_str()
        )));
    }
    let applications: Applications = serde_json::from_str(&r.applications).map_err(corrupt)?;
    let set: Vec<String> = serde_json::from_str(&r.secret_names).map_err(corrupt)?;
    let secrets: BTreeMap<String, bool> = kind
        .secret_fields()
        .iter()
        .map(|f| ((*f).to_owned(), set.iter().any(|s| s == f)))
        .collect();
    let status = match r.status.as_str() {
        "active" => IntegrationStatus::Active,
        "off" => IntegrationStatus::Off,
        "disabled" => IntegrationStatus::Disabled {
            reason: r.disabled_reason.unwrap_or_default(),
            at: ts(r.disabled_at.unwrap_or(r.updated_at))?,
        },
        other => return Err(corrupt(format!("integration status {other:?}"))),
    };
    Ok(IntegrationRow {
        view: Integration {
            id: uuid(&r.id)?,
            name: r.name,
            kind,
            enabled: r.enabled,
            applications,
            settings,
            secrets,
            target: r.target,
            status,
            failures: r.failures,
            created_at: ts(r.created_at)?,
            updated_at: ts(r.updated_at)?,
            version: r.version,
        },
        sealed_secrets: r.secrets,
    })
}

pub fn integrations(c: &Connection, org_id: Uuid) -> StoreResult<Vec<Integration>> {
    let raws: Vec<Raw> = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM integrations WHERE org_id = ?1 ORDER BY name_key, id"
        ))
        .map_err(db_err)?
        .query_map(params![org_id.to_string()], raw)
        .map_err(db_err)?
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    raws.into_iter().map(|r| into_row(r).map(|row| row.view)).collect()
}

pub fn integration(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<Option<IntegrationRow>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM integrations WHERE org_id = ?1 AND id = ?2"
    ))
    .map_err(db_err)?
    .query_row(params![org_id.to_string(), id.to_string()], raw)
    .optional()
    .map_err(db_err)?
    .map(into_row)
    .transpose()
}

/// The columns a write sets from the view.
struct Columns {
    applications: String,
    settings: String,
    secret_names: String,
    status: &'static str,
    disabled_reason: Option<String>,
    disabled_at: Option<i64>,
}

fn columns(v: &Integration) -> StoreResult<Columns> {
    let names: Vec<&str> = v
        .secrets
        .iter()
        .filter(|(_, set)| **set)
        .map(|(name, _)| name.as_str())
        .collect();
    let (status, disabled_reason, disabled_at) = match &v.status {
        IntegrationStatus::Active => ("active", None, None),
        IntegrationStatus::Off => ("off", None, None),
        IntegrationStatus::Disabled { reason, at } => ("disabled", Some(reason.clone()), Some(ms(*at))),
    };
    Ok(Columns {
        applications: serde_json::to_string(&v.applications).map_err(corrupt)?,
        settings: serde_json::to_string(&v.settings).map_err(corrupt)?,
        secret_names: serde_json::to_string(&names).map_err(corrupt)?,
        status,
        disabled_reason,
        disabled_at,
    })
}

fn name_conflict(name: &str) -> impl FnOnce(sql::Error) -> StoreError + '_ {
    move |e| match db_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("an integration named {name:?} already exists")),
        other => other,
    }
}

pub fn insert_integration(c: &Connection, org_id: Uuid, row: &IntegrationRow) -> StoreResult<()> {
    let v = &row.view;
    let cols = columns(v)?;
    c.execute(
        "INSERT INTO integrations (id, org_id, name, name_key, kind, enabled, applications, settings, secrets,
             secret_names, target, status, disabled_reason, disabled_at, failures, version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            v.id.to_string(),
            org_id.to_string(),
            v.name,
            integration_name_key(&v.name),
            v.kind.as_str(),
            v.enabled,
            cols.applications,
            cols.settings,
            row.sealed_secrets,
            cols.secret_names,
            v.target,
            cols.status,
            cols.disabled_reason,
            cols.disabled_at,
            v.failures,
            v.version,
            ms(v.created_at),
            ms(v.updated_at),
        ],
    )
    .map_err(name_conflict(&v.name))?;
    Ok(())
}

/// Writes every column but the id, organization, kind and creation time over version `expected`.
pub fn save_integration(c: &Connection, org_id: Uuid, row: &IntegrationRow, expected: i64) -> StoreResult<i64> {
    let v = &row.view;
    let cols = columns(v)?;
    let changed = c
        .execute(
            "UPDATE integrations SET name = ?3, name_key = ?4, enabled = ?5, applications = ?6, settings = ?7,
                 secrets = ?8, secret_names = ?9, target = ?10, status = ?11, disabled_reason = ?12,
                 disabled_at = ?13, failures = ?14, updated_at = ?15, version = version + 1
             WHERE org_id = ?1 AND id = ?2 AND version = ?16",
            params![
                org_id.to_string(),
                v.id.to_string(),
                v.name,
                integration_name_key(&v.name),
                v.enabled,
                cols.applications,
                cols.settings,
                row.sealed_secrets,
                cols.secret_names,
                v.target,
                cols.status,
                cols.disabled_reason,
                cols.disabled_at,
                v.failures,
                ms(v.updated_at),
                expected,
            ],
        )
        .map_err(name_conflict(&v.name))?;
    if changed == 0 {
        let current: Option<i64> = c
            .query_row(
                "SELECT version FROM integrations WHERE org_id = ?1 AND id = ?2",
                params![org_id.to_string(), v.id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        return Err(match current {
            Some(current) => StoreError::VersionMismatch { current },
            None => StoreError::NotFound("integration"),
        });
    }
    Ok(expected + 1)
}

pub fn delete_integration(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let n = c
        .execute(
            "DELETE FROM integrations WHERE org_id = ?1 AND id = ?2",
            params![org_id.to_string(), id.to_string()],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}
