//! `POST users/import`: a CSV file of invitations, validated as a whole before anything is written.
//!
//! Header `email,first_name,last_name,group[,api_only]` (any order, case-insensitive). `group` is a
//! built-in group (View, Edit, Rules Admin, Admin) that becomes the default group, or a custom group's name
//! (the user joins it, with View as the default group). Every row becomes an invitation: status `pending`,
//! a one-time activation token in the answer. Any problem (a bad field, an email twice in the file or
//! already in use) refuses the whole file with every row error; nothing is imported.

use std::collections::HashMap;

use orgdeck_shared::{
    FieldError,
    audit::AuditTarget,
    auth::OrgRole,
    groups::builtin_group,
    users::{
        IMPORT_MAX_ROWS, ImportReport, NewUser, RowError, UserCreated, normalize_email, validate_email,
        validate_person_name,
    },
};

use super::users::insert_new_user;
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::AuditRecord,
};

/// Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into records; blank lines are
/// skipped. Returns each record with its 1-based record number, or the record number of a broken quote.
pub fn parse_csv(text: &str) -> Result<Vec<(u32, Vec<String>)>, u32> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut started = false;
    let mut number = 1u32;
    let mut chars = text.chars().peekable();
    let finish = |record: &mut Vec<String>, field: &mut String, records: &mut Vec<(u32, Vec<String>)>, n: u32| {
        record.push(std::mem::take(field));
        let fields = std::mem::take(record);
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push((n, fields));
        }
    };
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match ch {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                finish(&mut record, &mut field, &mut records, number);
                number += 1;
            }
            c => field.push(c),
        }
        started = true;
    }
    if quoted {
        return Err(number);
    }
    if started && (!field.is_empty() || !record.is_empty()) {
        finish(&mut record, &mut field, &mut records, number);
    }
    Ok(records)
}

fn row_err(row: u32, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        row,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn refuse(errors: Vec<RowError>) -> AppError {
    AppError::Validation(errors.iter().map(RowError::to_field_error).collect())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "false" | "no" | "0" | "n" => Some(false),
        "true" | "yes" | "1" | "y" => Some(true),
        _ => None,
    }
}

pub async fn import(state: &AppState, admin: &OrgAdmin, body: &[u8]) -> AppResult<ImportReport> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::Validation(vec![FieldError::new("file", "is not UTF-8 text")]))?;
    let records = parse_csv(text).map_err(|row| refuse(vec![row_err(row, "file", "a quoted field never ends")]))?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(AppError::Validation(vec![FieldError::new("file", "is empty")]));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut errors = Vec::new();
    for h in &header {
        if !["email", "first_name", "last_name", "group", "api_only"].contains(&h.as_str()) {
            errors.push(row_err(1, "header", format!("unknown column {h:?}")));
        }
    }
    let (email_c, first_c, last_c, group_c) = (col("email"), col("first_name"), col("last_name"), col("group"));
    for (name, c) in [
        ("email", email_c),
        ("first_name", first_c),
        ("last_name", last_c),
        ("group", group_c),
    ] {
        if c.is_none() {
            errors.push(row_err(1, "header", format!("the column {name} is missing")));
        }
    }
    let (Some(email_c), Some(first_c), Some(last_c), Some(group_c)) = (email_c, first_c, last_c, group_c) else {
        return Err(refuse(errors));
    };
    if !errors.is_empty() {
        return Err(refuse(errors));
    }
    if rows.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new("file", "has no users")]));
    }
    if rows.len() > IMPORT_MAX_ROWS {
        return Err(AppError::Validation(vec![FieldError::new(
            "file",
            format!("has {} users; at most {IMPORT_MAX_ROWS} per import", rows.len()),
        )]));
    }
    let api_c = col("api_only");
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let groups = tx.groups_tx(org_id).await?;
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut users: Vec<NewUser> = Vec::new();
    let mut email_rows: Vec<(String, u32)> = Vec::new();
    for (row, fields) in rows {
        let row = *row;
        if fields.len() != header.len() {
            errors.push(row_err(
                row,
                "row",
                format!("has {} fields; the header has {}", fields.len(), header.len()),
            ));
            continue;
        }
        let email = normalize_email(&fields[email_c]);
        if let Err(e) = validate_email(&email) {
            errors.push(row_err(row, "email", e.message));
        } else if let Some(first) = seen.get(&email) {
            errors.push(row_err(row, "email", format!("appears already in row {first}")));
        } else {
            seen.insert(email.clone(), row);
            email_rows.push((email.clone(), row));
        }
        for (field, c) in [("first_name", first_c), ("last_name", last_c)] {
            if let Err(e) = validate_person_name(field, &fields[c]) {
                errors.push(row_err(row, field, e.message));
            }
        }
        let group_name = fields[group_c].trim();
        let (default_group, custom) = if group_name.is_empty() {
            errors.push(row_err(row, "group", "is required"));
            (OrgRole::View, None)
        } else if let Some(role) = builtin_group(group_name) {
            (role, None)
        } else if let Some(g) = groups
            .iter()
            .find(|g| !g.built_in && g.name.to_lowercase() == group_name.to_lowercase())
        {
            (OrgRole::View, Some(g.id))
        } else {
            errors.push(row_err(row, "group", format!("no group named {group_name:?}")));
            (OrgRole::View, None)
        };
        let api_only = match api_c.map(|c| fields[c].as_str()) {
            None => false,
            Some(v) => parse_bool(v).unwrap_or_else(|| {
                errors.push(row_err(row, "api_only", "must be true or false"));
                false
            }),
        };
        users.push(NewUser {
            email,
            first_name: fields[first_c].trim().to_owned(),
            last_name: fields[last_c].trim().to_owned(),
            default_group,
            groups: custom.into_iter().collect(),
            api_only,
            password: None,
        });
    }
    let emails: Vec<String> = email_rows.iter().map(|(e, _)| e.clone()).collect();
    for taken in tx.emails_in_use(&emails).await? {
        if let Some((_, row)) = email_rows.iter().find(|(e, _)| *e == taken) {
            errors.push(row_err(*row, "email", "is already used by another user"));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(refuse(errors));
    }
    let mut created = Vec::with_capacity(users.len());
    for new in &users {
        let (user, token) = insert_new_user(tx.as_mut(), admin.user(), new, None, now).await?;
        created.push(UserCreated {
            user,
            activation_token: token,
        });
    }
    tx.append_audit(
        &AuditRecord::new(
            Some(org_id),
            now,
            admin.user().actor(),
            "user.import",
            AuditTarget::new("users", "import"),
            format!("Imported {} user(s) from CSV as invitations", created.len()),
        )
        .ip(admin.user().client_ip.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(ImportReport { created })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_crlf_and_blank_lines() {
        let text =
            "\u{feff}email,first_name\r\n\"a@b.co\",\"Smith, \"\"Jo\"\"\"\r\n\r\nc@d.co,\"multi\nline\"\nx@y.co,Z";
        let recs = parse_csv(text).unwrap();
        assert_eq!(recs[0], (1, vec!["email".into(), "first_name".into()]));
        assert_eq!(recs[1], (2, vec!["a@b.co".into(), "Smith, \"Jo\"".into()]));
        assert_eq!(recs[2].1, vec!["c@d.co".to_owned(), "multi\nline".to_owned()]);
        assert_eq!(recs[3].1, vec!["x@y.co".to_owned(), "Z".to_owned()]);
        assert!(parse_csv("a,\"open").is_err());
    }
}
