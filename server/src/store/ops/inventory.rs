//! Licenses, applications, servers and groups.

use crate::store::sql::{Connection, params};
use jiff::{Timestamp, civil::Date};
use orgdeck_shared::{auth::OrgRole, inventory::Application, licensing::LicenseKind, scores::SeverityCounts};
use uuid::Uuid;

use super::{corrupt, db_err, environment, ms, uuid};
use crate::store::{ExpiringLicenses, LicenseFacts, LicenseRow, StoreResult};

// ---- licenses and inventory ----

pub fn insert_license(
    c: &Connection,
    org_id: Uuid,
    kind: LicenseKind,
    count: u32,
    expires_on: Date,
    at: Timestamp,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO licenses (id, org_id, kind, count, expires_on, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            Uuid::new_v4().to_string(),
            org_id.to_string(),
            kind.as_str(),
            count,
            expires_on.to_string(),
            ms(at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Every organization's licenses that expire between `from` and `to` (both included), summed per
/// organization, kind and day.
pub fn licenses_expiring(c: &Connection, from: Date, to: Date) -> StoreResult<Vec<ExpiringLicenses>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT org_id, kind, expires_on, SUM(count) FROM licenses
             WHERE expires_on >= ?1 AND expires_on <= ?2
             GROUP BY org_id, kind, expires_on ORDER BY expires_on, org_id, kind",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![from.to_string(), to.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(db_err)?;
    rows.map(|row| {
        let (org, kind, expires_on, count) = row.map_err(db_err)?;
        Ok(ExpiringLicenses {
            org_id: uuid(&org)?,
            kind: LicenseKind::parse(&kind).ok_or_else(|| corrupt(format!("license kind {kind:?}")))?,
            expires_on: expires_on.parse().map_err(corrupt)?,
            count: u32::try_from(count).unwrap_or(u32::MAX),
        })
    })
    .collect()
}

/// Whether the organization's server event `key` was raised.
pub fn server_event_raised(c: &Connection, org_id: Uuid, key: &str) -> StoreResult<bool> {
    c.prepare_cached("SELECT 1 FROM server_events WHERE org_id = ?1 AND key = ?2")
        .map_err(db_err)?
        .exists(params![org_id.to_string(), key])
        .map_err(db_err)
}

/// Records that the organization's server event `key` was raised; false when it was before.
pub fn record_server_event(c: &Connection, org_id: Uuid, key: &str, at: Timestamp) -> StoreResult<bool> {
    c.prepare_cached("INSERT INTO server_events (org_id, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
        .map_err(db_err)?
        .execute(params![org_id.to_string(), key, ms(at)])
        .map(|n| n > 0)
        .map_err(db_err)
}

pub fn licenses(c: &Connection, org_id: Uuid) -> StoreResult<LicenseFacts> {
    let org = org_id.to_string();
    let mut stmt = c
        .prepare_cached("SELECT kind, count, expires_on FROM licenses WHERE org_id = ?1 ORDER BY expires_on")
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![org], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?))
        })
        .map_err(db_err)?;
    let mut licenses = Vec::new();
    for row in rows {
        let (kind, count, expires_on) = row.map_err(db_err)?;
        let kind = match kind.as_str() {
            "assess" => LicenseKind::Assess,
            "protect" => LicenseKind::Protect,
            other => return Err(corrupt(format!("license kind {other:?}"))),
        };
        let expires_on: Date = expires_on.parse().map_err(corrupt)?;
        licenses.push(LicenseRow {
            kind,
            count,
            expires_on,
        });
    }
    let count = |table: &str| -> StoreResult<u32> {
        c.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE org_id = ?1 AND licensed"),
            params![org],
            |r| r.get(0),
        )
        .map_err(db_err)
    };
    Ok(LicenseFacts {
        licenses,
        licensed_applications: count("applications")?,
        licensed_servers: count("servers")?,
    })
}

pub fn insert_application(c: &Connection, org_id: Uuid, app: &Application, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "INSERT INTO applications (id, org_id, name, language, environment, licensed, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            app.id.to_string(),
            org_id.to_string(),
            app.name,
            app.language,
            app.environment.as_str(),
            app.licensed,
            ms(at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// The organization's applications by name, each with its open vulnerabilities counted by severity.
pub fn applications(c: &Connection, org_id: Uuid) -> StoreResult<Vec<Application>> {
    applications_where(c, org_id, None)
}

/// The organization's applications (or the one with id `only`), with their open vulnerability counts.
pub fn applications_where(c: &Connection, org_id: Uuid, only: Option<Uuid>) -> StoreResult<Vec<Application>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT a.id, a.name, a.language, a.environment, a.licensed,
                    COALESCE(SUM(CASE WHEN v.severity = 'critical' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN v.severity = 'high' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN v.severity = 'medium' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN v.severity = 'low' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN v.severity = 'note' THEN 1 ELSE 0 END), 0)
             FROM applications a
             LEFT JOIN vulnerabilities v ON v.application_id = a.id
                  AND v.status IN ('reported', 'suspicious', 'confirmed')
             WHERE a.org_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR a.id = ?2)
             GROUP BY a.id
             ORDER BY a.name, a.id",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![org_id.to_string(), only.map(|id| id.to_string())], |r| {
            let counts = SeverityCounts {
                critical: r.get(5)?,
                high: r.get(6)?,
                medium: r.get(7)?,
                low: r.get(8)?,
                note: r.get(9)?,
            };
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
                counts,
            ))
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, language, env, licensed, open_vulnerabilities) = row.map_err(db_err)?;
        out.push(Application {
            id: uuid(&id)?,
            name,
            language,
            environment: environment(&env)?,
            licensed,
            open_vulnerabilities,
            score: None,
        });
    }
    Ok(out)
}

// ---- groups ----

pub fn insert_group(
    c: &Connection,
    id: Uuid,
    org_id: Uuid,
    name: &str,
    builtin_role: Option<OrgRole>,
    app_access_json: &str,
    at: Timestamp,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO user_groups (id, org_id, name, builtin_role, app_access, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id.to_string(), org_id.to_string(), name, builtin_role.map(OrgRole::as_str), app_access_json, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn insert_group_member(c: &Connection, group_id: Uuid, user_id: Uuid) -> StoreResult<()> {
    c.execute(
        "INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)",
        params![group_id.to_string(), user_id.to_string()],
    )
    .map_err(db_err)?;
    Ok(())
}
