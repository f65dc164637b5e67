//! API keys: hashes and display prefixes, one key a user, a replaced hash kept through a grace period.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params};
use jiff::Timestamp;
use orgdeck_shared::api_keys::{ApiKeyHolder, ApiKeyInfo};
use uuid::Uuid;

use super::{AREA_IP_RESTRICTIONS, db_err, ms, role, status, ts, uuid};
use crate::store::{ApiKeyCaller, NewApiKeyRow, StoreError, StoreResult};

fn opt_ts(v: Option<i64>) -> StoreResult<Option<Timestamp>> {
    v.map(ts).transpose()
}

pub fn api_key_caller(c: &Connection, key_hash: &str) -> StoreResult<Option<ApiKeyCaller>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT k.id, k.prefix, k.org_id, o.name, k.user_id, u.email, u.first_name, u.last_name, u.role,
                    u.enabled, u.status, k.last_used_at, ip.doc, k.key_hash = ?1, k.previous_valid_until
             FROM api_keys k
             JOIN users u ON u.id = k.user_id AND u.org_id = k.org_id
             JOIN organizations o ON o.id = k.org_id
             LEFT JOIN settings ip ON ip.org_id = k.org_id AND ip.area = ?2
             WHERE k.key_hash = ?1 OR k.previous_hash = ?1",
        )
        .map_err(db_err)?;
    let raw = stmt
        .query_row(params![key_hash, AREA_IP_RESTRICTIONS], |r| {
            Ok(RawCaller {
                id: r.get(0)?,
                prefix: r.get(1)?,
                org_id: r.get(2)?,
                org_name: r.get(3)?,
                user_id: r.get(4)?,
                email: r.get(5)?,
                first_name: r.get(6)?,
                last_name: r.get(7)?,
                role: r.get(8)?,
                enabled: r.get(9)?,
                status: r.get(10)?,
                last_used_at: r.get(11)?,
                ip_doc: r.get(12)?,
                current: r.get(13)?,
                previous_valid_until: r.get(14)?,
            })
        })
        .optional()
        .map_err(db_err)?;
    raw.map(RawCaller::into_caller).transpose()
}

/// A row of [`api_key_caller`]'s query as stored.
struct RawCaller {
    id: String,
    prefix: String,
    org_id: String,
    org_name: String,
    user_id: String,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    enabled: bool,
    status: String,
    last_used_at: Option<i64>,
    ip_doc: Option<String>,
    /// The presented hash is the current key's (else the replaced one's).
    current: bool,
    previous_valid_until: Option<i64>,
}

impl RawCaller {
    fn into_caller(self) -> StoreResult<ApiKeyCaller> {
        let replaced_until = if self.current {
            None
        } else {
            // A replaced hash is kept only with the end of its grace period.
            Some(
                opt_ts(self.previous_valid_until)?
                    .ok_or_else(|| StoreError::Corrupt("replaced api key without an end".into()))?,
            )
        };
        Ok(ApiKeyCaller {
            key_id: uuid(&self.id)?,
            prefix: self.prefix,
            org_id: uuid(&self.org_id)?,
            org_name: self.org_name,
            user_id: uuid(&self.user_id)?,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            role: role(&self.role)?,
            user_enabled: self.enabled,
            user_status: status(&self.status)?,
            last_used_at: opt_ts(self.last_used_at)?,
            ip_doc: self.ip_doc,
            replaced_until,
        })
    }
}

const INFO_COLUMNS: &str = "k.id, k.user_id, u.email, k.prefix, k.created_at, k.rotated_at, k.last_used_at,
                            k.previous_valid_until";

/// A row of [`INFO_COLUMNS`] as stored.
struct RawInfo {
    id: String,
    user_id: String,
    email: String,
    prefix: String,
    created: i64,
    rotated: i64,
    used: Option<i64>,
    until: Option<i64>,
}

fn info_row(r: &Row<'_>) -> sql::Result<RawInfo> {
    Ok(RawInfo {
        id: r.get(0)?,
        user_id: r.get(1)?,
        email: r.get(2)?,
        prefix: r.get(3)?,
        created: r.get(4)?,
        rotated: r.get(5)?,
        used: r.get(6)?,
        until: r.get(7)?,
    })
}

fn into_info(raw: RawInfo) -> StoreResult<ApiKeyInfo> {
    Ok(ApiKeyInfo {
        id: uuid(&raw.id)?,
        holder: ApiKeyHolder {
            id: uuid(&raw.user_id)?,
            email: raw.email,
        },
        prefix: raw.prefix,
        created_at: ts(raw.created)?,
        rotated_at: ts(raw.rotated)?,
        last_used_at: opt_ts(raw.used)?,
        previous_valid_until: opt_ts(raw.until)?,
    })
}

pub fn api_keys(
    c: &Connection,
    org_id: Uuid,
    user: Option<Uuid>,
    after: Option<Uuid>,
    limit: u32,
) -> StoreResult<Vec<ApiKeyInfo>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id
             WHERE k.org_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR k.user_id = ?2) AND k.id > ?3
             ORDER BY k.id LIMIT ?4"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(
            params![
                org_id.to_string(),
                user.map(|u| u.to_string()),
                after.map(|a| a.to_string()).unwrap_or_default(),
                limit
            ],
            info_row,
        )
        .map_err(db_err)?;
    rows.map(|r| into_info(r.map_err(db_err)?)).collect()
}

pub fn api_key(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<Option<ApiKeyInfo>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM api_keys k JOIN users u ON u.id = k.user_id
             WHERE k.org_id = ?1 AND k.id = ?2"
        ))
        .map_err(db_err)?;
    let row = stmt
        .query_row(params![org_id.to_string(), id.to_string()], info_row)
        .optional()
        .map_err(db_err)?;
    row.map(into_info).transpose()
}

pub fn insert_api_key(c: &Connection, row: &NewApiKeyRow) -> StoreResult<()> {
    c.execute(
        "INSERT INTO api_keys (id, org_id, user_id, key_hash, prefix, created_at, rotated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            row.id.to_string(),
            row.org_id.to_string(),
            row.user_id.to_string(),
            row.key_hash,
            row.prefix,
            ms(row.at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn rotate_api_key(
    c: &Connection,
    id: Uuid,
    key_hash: &str,
    prefix: &str,
    at: Timestamp,
    replaced_until: Option<Timestamp>,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE api_keys SET
                 previous_hash = CASE WHEN CAST(?5 AS BIGINT) IS NULL THEN NULL ELSE key_hash END,
                 previous_valid_until = ?5,
                 key_hash = ?2, prefix = ?3, rotated_at = ?4
             WHERE id = ?1",
            params![id.to_string(), key_hash, prefix, ms(at), replaced_until.map(ms)],
        )
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound("api key"));
    }
    Ok(())
}

pub fn delete_api_key(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let n = c
        .execute(
            "DELETE FROM api_keys WHERE org_id = ?1 AND id = ?2",
            params![org_id.to_string(), id.to_string()],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

pub fn touch_api_key(c: &Connection, id: Uuid, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
        params![id.to_string(), ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}
