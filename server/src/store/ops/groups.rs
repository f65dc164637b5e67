//! Groups: built-in (membership by default group) and custom (access rows and members).

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, params};
use jiff::Timestamp;
use orgdeck_shared::groups::{AppAccess, Group};
use uuid::Uuid;

use super::{corrupt, db_err, ms, role, uuid};
use crate::store::{StoreError, StoreResult};

struct RawGroup {
    id: String,
    name: String,
    builtin_role: Option<String>,
    app_access: String,
    version: i64,
}

fn members_of(c: &Connection, org_id: Uuid, g: &RawGroup, builtin_members: bool) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<String> = match &g.builtin_role {
        Some(_) if !builtin_members => Vec::new(),
        Some(r) => c
            .prepare_cached("SELECT id FROM users WHERE org_id = ?1 AND role = ?2 ORDER BY last_key, first_key, id")
            .map_err(db_err)?
            .query_map(params![org_id.to_string(), r], |r| r.get(0))
            .map_err(db_err)?
            .collect::<Result<_, _>>()
            .map_err(db_err)?,
        None => c
            .prepare_cached(
                "SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id
                 WHERE m.group_id = ?1 ORDER BY u.last_key, u.first_key, u.id",
            )
            .map_err(db_err)?
            .query_map(params![g.id], |r| r.get(0))
            .map_err(db_err)?
            .collect::<Result<_, _>>()
            .map_err(db_err)?,
    };
    ids.iter().map(|i| uuid(i)).collect()
}

fn into_group(c: &Connection, org_id: Uuid, g: RawGroup, builtin_members: bool) -> StoreResult<Group> {
    let members = members_of(c, org_id, &g, builtin_members)?;
    let grants_role = g.builtin_role.as_deref().map(role).transpose()?;
    let app_access: Vec<AppAccess> = serde_json::from_str(&g.app_access).map_err(corrupt)?;
    Ok(Group {
        id: uuid(&g.id)?,
        name: g.name,
        built_in: grants_role.is_some(),
        grants_role,
        app_access,
        members,
        version: g.version,
    })
}

const ROLE_ORDER: &str = "CASE builtin_role WHEN 'view' THEN 0 WHEN 'edit' THEN 1 WHEN 'rules_admin' THEN 2
    WHEN 'admin' THEN 3 ELSE 4 END";

/// The organization's groups; `builtin_members` false leaves the (possibly huge) member lists of the
/// built-in groups empty.
pub fn groups(c: &Connection, org_id: Uuid, builtin_members: bool) -> StoreResult<Vec<Group>> {
    let raws: Vec<RawGroup> = c
        .prepare_cached(&format!(
            "SELECT id, name, builtin_role, app_access, version FROM user_groups WHERE org_id = ?1
             ORDER BY {ROLE_ORDER}, name, id"
        ))
        .map_err(db_err)?
        .query_map(params![org_id.to_string()], |r| {
            Ok(RawGroup {
                id: r.get(0)?,
                name: r.get(1)?,
                builtin_role: r.get(2)?,
                app_access: r.get(3)?,
                version: r.get(4)?,
            })
        })
        .map_err(db_err)?
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    raws.into_iter()
        .map(|g| into_group(c, org_id, g, builtin_members))
        .collect()
}

pub fn group(c: &Connection, org_id: Uuid, group_id: Uuid) -> StoreResult<Option<Group>> {
    let raw = c
        .query_row(
            "SELECT id, name, builtin_role, app_access, version FROM user_groups WHERE org_id = ?1 AND id = ?2",
            params![org_id.to_string(), group_id.to_string()],
            |r| {
                Ok(RawGroup {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    builtin_role: r.get(2)?,
                    app_access: r.get(3)?,
                    version: r.get(4)?,
                })
            },
        )
        .optional()
        .map_err(db_err)?;
    raw.map(|g| into_group(c, org_id, g, true)).transpose()
}

fn set_members(c: &Connection, group_id: Uuid, members: &[Uuid]) -> StoreResult<()> {
    c.execute(
        "DELETE FROM group_members WHERE group_id = ?1",
        params![group_id.to_string()],
    )
    .map_err(db_err)?;
    let mut stmt = c
        .prepare_cached("INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)")
        .map_err(db_err)?;
    for m in members {
        stmt.execute(params![group_id.to_string(), m.to_string()])
            .map_err(db_err)?;
    }
    Ok(())
}

fn name_conflict(name: &str) -> impl FnOnce(sql::Error) -> StoreError + '_ {
    move |e| match db_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a group named {name:?} already exists")),
        other => other,
    }
}

/// Inserts a custom group with its members.
pub fn insert_custom_group(c: &Connection, org_id: Uuid, g: &Group, at: Timestamp) -> StoreResult<()> {
    let access = serde_json::to_string(&g.app_access).map_err(corrupt)?;
    c.execute(
        "INSERT INTO user_groups (id, org_id, name, builtin_role, app_access, created_at, version)
         VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)",
        params![g.id.to_string(), org_id.to_string(), g.name, access, ms(at), g.version],
    )
    .map_err(name_conflict(&g.name))?;
    set_members(c, g.id, &g.members)
}

pub fn save_group(c: &Connection, org_id: Uuid, g: &Group, expected: i64) -> StoreResult<i64> {
    let access = serde_json::to_string(&g.app_access).map_err(corrupt)?;
    let changed = c
        .execute(
            "UPDATE user_groups SET name = ?3, app_access = ?4, version = version + 1
             WHERE org_id = ?1 AND id = ?2 AND version = ?5 AND builtin_role IS NULL",
            params![org_id.to_string(), g.id.to_string(), g.name, access, expected],
        )
        .map_err(name_conflict(&g.name))?;
    if changed == 0 {
        let current: Option<i64> = c
            .query_row(
                "SELECT version FROM user_groups WHERE org_id = ?1 AND id = ?2 AND builtin_role IS NULL",
                params![org_id.to_string(), g.id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        return Err(match current {
            Some(current) => StoreError::VersionMismatch { current },
            None => StoreError::NotFound("group"),
        });
    }
    set_members(c, g.id, &g.members)?;
    Ok(expected + 1)
}

pub fn delete_group(c: &Connection, org_id: Uuid, group_id: Uuid) -> StoreResult<Option<u32>> {
    let exists: Option<String> = c
        .query_row(
            "SELECT id FROM user_groups WHERE org_id = ?1 AND id = ?2 AND builtin_role IS NULL",
            params![org_id.to_string(), group_id.to_string()],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    if exists.is_none() {
        return Ok(None);
    }
    let members: u32 = c
        .query_row(
            "SELECT COUNT(*) FROM group_members WHERE group_id = ?1",
            params![group_id.to_string()],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    c.execute(
        "DELETE FROM group_members WHERE group_id = ?1",
        params![group_id.to_string()],
    )
    .map_err(db_err)?;
    c.execute("DELETE FROM user_groups WHERE id = ?1", params![group_id.to_string()])
        .map_err(db_err)?;
    Ok(Some(members))
}

pub fn application_ids(c: &Connection, org_id: Uuid) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<String> = c
        .prepare_cached("SELECT id FROM applications WHERE org_id = ?1")
        .map_err(db_err)?
        .query_map(params![org_id.to_string()], |r| r.get(0))
        .map_err(db_err)?
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
    ids.iter().map(|i| uuid(i)).collect()
}
