//! `POST users/import`: a CSV file of invitations, validated as a whole before anything is written.
//!
//! The first line is the header, naming the columns [`IMPORT_COLUMNS`] (`email,first_name,last_name,group`)
//! and, if wanted, [`IMPORT_OPTIONAL_COLUMNS`] (`api_only`), in any order, case-insensitive; no other column,
//! and every row has as many fields as the header. `group` is a built-in group (View, Edit, Rules Admin,
//! Admin) that becomes the default group, or a custom group's name (the user joins it, with View as the
//! default group). Every row becomes an invitation: status `pending`, a one-time activation token in the
//! answer. Any problem (a bad field, an email twice in the file or already in use) refuses the whole file
//! with every row error; nothing is imported.

use std::collections::HashMap;

use orgdeck_shared::{
    FieldError,
    audit::AuditTarget,
    auth::OrgRole,
    groups::builtin_group,
    users::{
        IMPORT_COLUMNS, IMPORT_MAX_ROWS, IMPORT_OPTIONAL_COLUMNS, ImportReport, NewUser, RowError, UserCreated,
        normalize_email, validate_email, validate_person_name,
    },
};

use super::users::insert_new_user;
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::AuditRecord,
};

/// Splits CSV text (RFC 4180 through the `csv` crate: a byte-order mark, quoted fields, doubled quotes,
/// CRLF or LF; rows of any length, checked by the caller) into records, blank lines skipped. Returns each
/// record with the line it starts on, or the line of a quote that is never closed.
pub fn parse_csv(text: &str) -> Result<Vec<(u32, Vec<String>)>, u32> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut last_start = (0usize, 1u32);
    for result in reader.records() {
        // Reading a `&str` cannot fail on I/O or UTF-8; any error is a broken record.
        let record = result.map_err(|e| e.position().map_or(1, |p| line_at(text, p.byte())))?;
        let byte = record.position().map_or(0, |p| p.byte());
        let line = line_at(text, byte);
        last_start = (usize::try_from(byte).unwrap_or(0), line);
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push((line, fields));
        }
    }
    // The `csv` crate ends a quoted field that is never closed at the end of the input without an error
    // (rust-csv treats it as lenient input). Well-formed quoting leaves an even number of quotes in the last
    // record; an odd number means a quote was left open (or a stray one sits in an unquoted field).
    let rest = text.get(last_start.0..).unwrap_or("");
    if rest.matches('"').count() % 2 == 1 {
        return Err(last_start.1);
    }
    Ok(records)
}

/// The 1-based line of the record at `byte`. The crate's own line count is not used: it counts CRLF
/// files wrongly, and a record's offset can point at the line break before it.
fn line_at(text: &str, byte: u64) -> u32 {
    let bytes = text.as_bytes();
    let mut at = usize::try_from(byte).unwrap_or(bytes.len()).min(bytes.len());
    while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
        at += 1;
    }
    let breaks = bytes[..at].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(breaks + 1).unwrap_or(u32::MAX)
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
    let records = parse_csv(text).map_err(|row| refuse(vec![row_err(row, "file", "a quote is never closed")]))?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(AppError::Validation(vec![FieldError::new("file", "is empty")]));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut errors = Vec::new();
    for h in &header {
        if !IMPORT_COLUMNS.iter().chain(&IMPORT_OPTIONAL_COLUMNS).any(|c| c == h) {
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
        assert_eq!(parse_csv("a,\"open"), Err(1));
        assert_eq!(
            parse_csv("a,b\nc,\"d\ne,f\n"),
            Err(2),
            "the line where the open quote's record starts"
        );
    }

    #[test]
    fn csv_keeps_ragged_rows_for_the_caller_to_report() {
        let recs = parse_csv("a,b,c\nd\ne,f,g,h\n").unwrap();
        let lens: Vec<(u32, usize)> = recs.iter().map(|(n, f)| (*n, f.len())).collect();
        assert_eq!(lens, vec![(1, 3), (2, 1), (3, 4)]);
    }
}
