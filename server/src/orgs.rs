//! Operator actions on a deployment's database, without a running server: create an organization with its
//! admin, add a user. The command line (`init`, `org create`) and the tests use them. Each runs in one
//! transaction with its audit entries, on the data directory's SQLite file or on a PostgreSQL database
//! ([`Database`]).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError,
    audit::{AuditActor, AuditTarget},
    auth::OrgRole,
    general::{GeneralSettings, validate_name},
};
use rusqlite::TransactionBehavior;
use uuid::Uuid;

use crate::{
    auth::{
        login::normalize_email,
        password::{self, PasswordError},
    },
    clock::Clock,
    store::{
        AuditRecord, SessionTimeouts, StoreError, UserStatus,
        postgres::{self as pg, PgOpenError},
        sql::{Connection, OptionalExtension, PgConn, params},
        sqlite::{
            self, OpenError,
            ops::{self, AREA_GENERAL, AREA_SESSIONS, NewUser},
        },
    },
};

/// Why an operator action on a data directory was refused or failed; each case says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("{0:?} is not an email address")]
    InvalidEmail(String),
    #[error("organization {}: {}", .0.field, .0.message)]
    InvalidName(FieldError),
    /// The password breaks the default policy; the message says how.
    #[error("{0}")]
    WeakPassword(String),
    #[error("no organization {0}")]
    NoSuchOrganization(Uuid),
    #[error("no user {0}")]
    NoSuchUser(Uuid),
    #[error("no integration {0} in that organization")]
    NoSuchIntegration(Uuid),
    #[error("no user {0}")]
    NoUserWithEmail(String),
    #[error("{0} has no password")]
    NoPassword(String),
    #[error("{} holds no database: nothing to recover", .0.display())]
    NoDatabase(PathBuf),
    #[error("no organization named {name:?} in {place}")]
    NoOrganizationNamed { name: String, place: String },
    #[error(
        "{org} still has {admins} admin(s) who can log in: they can make another admin; recovery is for an \
         organization with none"
    )]
    AdminsRemain { org: String, admins: u64 },
    #[error("{0} belongs to another organization")]
    OtherOrganization(String),
    /// Creating the organization failed after its inputs were accepted.
    #[error("cannot create organization {name:?}")]
    Create { name: String, source: Box<OrgError> },
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Sql(#[from] crate::store::sql::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Why the transaction around an operator action could not run (its contents aside).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot start a write transaction")]
    Begin(#[source] rusqlite::Error),
    #[error("cannot commit the change")]
    Commit(#[source] rusqlite::Error),
    #[error(transparent)]
    Postgres(#[from] PgOpenError),
    #[error("PostgreSQL: {0}")]
    Pg(#[source] tokio_postgres::Error),
    #[error("cannot start the PostgreSQL client")]
    Runtime(#[source] std::io::Error),
    /// Committed, but a server running on the directory was not told (its read caches may be stale).
    #[error("the change is saved, but a server running on it may not see it: cannot write {}", .path.display())]
    Announce { path: PathBuf, source: std::io::Error },
}

/// The database an operator action works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// The SQLite file of this data directory (created and migrated as needed).
    Sqlite(PathBuf),
    /// A PostgreSQL database (a URL or key-value pairs), migrated as needed.
    Postgres(String),
}

impl From<&Path> for Database {
    fn from(dir: &Path) -> Self {
        Database::Sqlite(dir.to_owned())
    }
}

impl From<&PathBuf> for Database {
    fn from(dir: &PathBuf) -> Self {
        Database::Sqlite(dir.clone())
    }
}

impl From<&Database> for Database {
    fn from(db: &Database) -> Self {
        db.clone()
    }
}

impl Database {
    /// The configured database: PostgreSQL when a URL is given, else the data directory's file.
    pub fn configured(data_dir: &Path, url: Option<&str>) -> Self {
        match url {
            Some(url) => Database::Postgres(url.to_owned()),
            None => Database::Sqlite(data_dir.to_owned()),
        }
    }

    /// Where it is, for messages (never a password).
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(dir) => dir.display().to_string(),
            Database::Postgres(url) => pg::config(url).map_or_else(|_| "PostgreSQL".into(), |c| pg::describe(&c)),
        }
    }
}

/// A new organization and its first admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgCreated {
    pub org_id: Uuid,
    pub admin_id: Uuid,
}

/// A new user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserCreated {
    pub user_id: Uuid,
}

/// Checks an email enough to refuse obvious mistakes; returns it normalized (trimmed, lower-case).
pub fn check_email(email: &str) -> Result<String, OrgError> {
    let email = normalize_email(email);
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(OrgError::InvalidEmail(email));
    }
    Ok(email)
}

/// How many organizations the database holds (0 when a data directory has no database yet).
pub fn organization_count(db: impl Into<Database>) -> Result<u64, OrgError> {
    match db.into() {
        Database::Sqlite(dir) => {
            if !sqlite::db_path(&dir).exists() {
                return Ok(0);
            }
            let conn = sqlite::connect(&sqlite::db_path(&dir), true)?;
            Ok(ops::organization_count(&Connection::Sqlite(&conn)).unwrap_or(0))
        }
        db => on_postgres(&db, Timestamp::now(), Use::Read { migrate: true }, |c| {
            Ok::<_, OrgError>(ops::organization_count(c)?)
        }),
    }
}

/// The stored password hash (argon2id PHC string) of the user with `email`, for benchmarks that compare
/// login latency with one verify.
pub fn password_hash_of(db: impl Into<Database>, email: &str) -> Result<String, OrgError> {
    let lookup = |c: &Connection| -> Result<String, OrgError> {
        let user = ops::user_for_login(c, &normalize_email(email))?
            .ok_or_else(|| OrgError::NoUserWithEmail(email.to_owned()))?;
        user.password_hash.ok_or_else(|| OrgError::NoPassword(email.to_owned()))
    };
    match db.into() {
        Database::Sqlite(dir) => {
            let conn = sqlite::connect(&sqlite::db_path(&dir), true)?;
            lookup(&Connection::Sqlite(&conn))
        }
        db => on_postgres(&db, Timestamp::now(), Use::Read { migrate: true }, lookup),
    }
}

/// Runs `f` in one write transaction on `db` (created and migrated if needed).
pub(crate) fn write<T: Send, E: From<WriteError> + Send>(
    db: &Database,
    now: Timestamp,
    f: impl FnOnce(&Connection) -> Result<T, E> + Send,
) -> Result<T, E> {
    let data_dir = match db {
        Database::Sqlite(dir) => dir,
        Database::Postgres(_) => return on_postgres(db, now, Use::Commit { migrate: true }, f),
    };
    let mut conn = sqlite::open_and_migrate(data_dir, now).map_err(WriteError::Open)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(WriteError::Begin)?;
    let out = f(&Connection::Sqlite(&tx))?;
    tx.commit().map_err(WriteError::Commit)?;
    // A server running on this data directory drops what it cached.
    sqlite::cache::mark_external_write(data_dir).map_err(|source| WriteError::Announce {
        path: data_dir.join(sqlite::cache::GENERATION_FILE),
        source,
    })?;
    Ok(out)
}

/// Runs `f` on what `db` has committed (read-only): tests and benchmarks look at stored rows this way on
/// either engine.
#[cfg(feature = "testkit")]
pub fn read<T: Send>(db: &Database, f: impl FnOnce(&Connection) -> Result<T, OrgError> + Send) -> Result<T, OrgError> {
    match db {
        Database::Sqlite(dir) => {
            let conn = sqlite::connect(&sqlite::db_path(dir), true)?;
            f(&Connection::Sqlite(&conn))
        }
        Database::Postgres(_) => on_postgres(db, Timestamp::now(), Use::Read { migrate: false }, f),
    }
}

/// Runs `f` in one transaction on `db` and commits it: tests and benchmarks prepare rows this way on
/// either engine.
#[cfg(feature = "testkit")]
pub fn transaction<T: Send>(
    db: &Database,
    f: impl FnOnce(&Connection) -> Result<T, OrgError> + Send,
) -> Result<T, OrgError> {
    match db {
        Database::Sqlite(_) => write(db, Timestamp::now(), f),
        // The database is the running server's, migrated already.
        Database::Postgres(_) => on_postgres(db, Timestamp::now(), Use::Commit { migrate: false }, f),
    }
}

/// How [`on_postgres`] uses its transaction.
#[derive(Clone, Copy)]
enum Use {
    /// Reads only (migrating first when asked: an empty database has no tables yet); rolled back.
    Read { migrate: bool },
    /// Writes under the write lock, committed and announced to running instances.
    Commit { migrate: bool },
    /// Outside any transaction (`VACUUM` cannot run in one); the database is migrated already.
    #[cfg(feature = "testkit")]
    Maintain,
}

/// Runs `sql` on PostgreSQL outside a transaction (maintenance after a bulk load: `VACUUM`); nothing on
/// SQLite.
#[cfg(feature = "testkit")]
pub(crate) fn maintain(db: &Database, sql: &str) -> Result<(), OrgError> {
    match db {
        Database::Sqlite(_) => Ok(()),
        Database::Postgres(_) => on_postgres(db, Timestamp::now(), Use::Maintain, |c| {
            Ok(c.execute_batch(sql).map_err(ops::db_err)?)
        }),
    }
}

/// Runs `f` in one transaction on PostgreSQL. It runs on a thread of its own with its own runtime:
/// callers may be inside a runtime (tests, the server) or not (the command line), and `f` waits for each
/// statement.
fn on_postgres<T: Send, E: From<WriteError> + Send>(
    db: &Database,
    now: Timestamp,
    how: Use,
    f: impl FnOnce(&Connection) -> Result<T, E> + Send,
) -> Result<T, E> {
    let Database::Postgres(url) = db else {
        unreachable!("on_postgres is given a PostgreSQL database")
    };
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .map_err(WriteError::Runtime)?;
                let pool = pg::pool(&pg::target(url).map_err(WriteError::from)?, 1).map_err(WriteError::from)?;
                let client = runtime.block_on(async {
                    let mut client = pool.get().await.map_err(|e| {
                        WriteError::Postgres(PgOpenError::Connect {
                            target: db.describe(),
                            reason: pg::pool_error(&e),
                        })
                    })?;
                    if matches!(how, Use::Read { migrate: true } | Use::Commit { migrate: true }) {
                        pg::schema::migrate(&mut client, now.as_millisecond())
                            .await
                            .map_err(|e| WriteError::Postgres(e.into()))?;
                    }
                    let begin = match how {
                        Use::Read { .. } => "BEGIN".to_owned(),
                        Use::Commit { .. } => format!("BEGIN; SELECT pg_advisory_xact_lock({})", ops::WRITE_LOCK),
                        #[cfg(feature = "testkit")]
                        Use::Maintain => String::new(),
                    };
                    client.batch_execute(&begin).await.map_err(WriteError::Pg)?;
                    Ok::<_, WriteError>(client)
                })?;
                let out = f(&Connection::Pg(PgConn {
                    client: &client,
                    runtime: runtime.handle(),
                }));
                let end = match (&out, how) {
                    #[cfg(feature = "testkit")]
                    (_, Use::Maintain) => "",
                    (Ok(_), Use::Commit { .. }) => "NOTIFY orgdeck_changes; COMMIT",
                    _ => "ROLLBACK",
                };
                runtime.block_on(client.batch_execute(end)).map_err(WriteError::Pg)?;
                out
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Fails with [`OrgError::NoSuchOrganization`] unless `org_id` exists.
pub(crate) fn require_org(c: &Connection, org_id: Uuid) -> Result<(), OrgError> {
    match ops::general_settings(c, org_id) {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound(_)) => Err(OrgError::NoSuchOrganization(org_id)),
        Err(e) => Err(e.into()),
    }
}

/// The rows every new organization starts with: the organization, its default settings documents, the
/// built-in groups and its organization key (not issued: nobody is there to be shown it).
pub(crate) fn insert_org(c: &Connection, settings: &GeneralSettings, now: Timestamp) -> Result<(), OrgError> {
    ops::insert_org(c, settings.id, &settings.name, settings.created_at)?;
    ops::insert_settings(c, settings.id, AREA_GENERAL, &serde_json::to_string(settings)?, now)?;
    ops::insert_settings(
        c,
        settings.id,
        AREA_SESSIONS,
        &serde_json::to_string(&SessionTimeouts::default())?,
        now,
    )?;
    for role in OrgRole::ALL {
        let all = serde_json::json!([{ "applications": "all", "role": role.as_str() }]).to_string();
        ops::insert_group(c, Uuid::new_v4(), settings.id, role.label(), Some(role), &all, now)?;
    }
    ops::insert_agent_key(c, &crate::services::agents::unissued_org_key(settings.id, now))?;
    Ok(())
}

/// Creates the database if needed, then an organization named `org_name` and its admin. The password
/// must satisfy the default policy (at least 15 characters).
pub fn init_org(
    db: impl Into<Database>,
    org_name: &str,
    admin_email: &str,
    admin_password: &str,
    clock: &dyn Clock,
) -> Result<OrgCreated, OrgError> {
    let org_name = org_name.trim();
    validate_name(org_name).map_err(OrgError::InvalidName)?;
    let email = check_email(admin_email)?;
    password::check_new(admin_password).map_err(OrgError::WeakPassword)?;
    let hash = password::hash(admin_password)?;
    let now = clock.now();
    let org_id = Uuid::new_v4();
    let admin_id = Uuid::new_v4();
    write(&db.into(), now, |c| {
        let settings = GeneralSettings::new(org_id, org_name, now);
        insert_org(c, &settings, now)?;
        ops::append_audit(
            c,
            &AuditRecord::new(
                Some(org_id),
                now,
                AuditActor::system(),
                "org.create",
                AuditTarget::new("organization", org_id.to_string()),
                format!("Organization {org_name} created"),
            ),
        )?;
        insert_user(c, org_id, admin_id, &email, Some(hash), OrgRole::Admin, now)?;
        Ok(())
    })
    .map_err(|e: OrgError| OrgError::Create {
        name: org_name.to_owned(),
        source: Box::new(e),
    })?;
    Ok(OrgCreated { org_id, admin_id })
}

fn insert_user(
    c: &Connection,
    org_id: Uuid,
    user_id: Uuid,
    email: &str,
    password_hash: Option<String>,
    role: OrgRole,
    now: Timestamp,
) -> Result<(), OrgError> {
    let first_name = email.split('@').next().unwrap_or(email).to_owned();
    ops::insert_user(
        c,
        &NewUser {
            id: user_id,
            org_id,
            email: email.to_owned(),
            first_name,
            last_name: String::new(),
            password_hash: password_hash.clone(),
            role,
            enabled: true,
            api_only: false,
            status: UserStatus::Active,
            last_login_at: None,
            last_login_ip: None,
            created_at: now,
        },
    )?;
    if let Some(hash) = &password_hash {
        ops::record_password_change(c, user_id, hash, now)?;
    }
    ops::append_audit(
        c,
        &AuditRecord::new(
            Some(org_id),
            now,
            AuditActor::system(),
            "user.create",
            AuditTarget::new("user", user_id.to_string()),
            format!("User {email} created with role {}", role.label()),
        ),
    )?;
    Ok(())
}

/// Adds an active user with `role` to an existing organization.
pub fn create_user(
    db: impl Into<Database>,
    org_id: Uuid,
    email: &str,
    password: &str,
    role: OrgRole,
    clock: &dyn Clock,
) -> Result<UserCreated, OrgError> {
    let email = check_email(email)?;
    password::check_new(password).map_err(OrgError::WeakPassword)?;
    let hash = password::hash(password)?;
    let now = clock.now();
    let user_id = Uuid::new_v4();
    write(&db.into(), now, |c| {
        require_org(c, org_id)?;
        insert_user(c, org_id, user_id, &email, Some(hash), role, now)
    })?;
    Ok(UserCreated { user_id })
}

/// Disables a user and ends their sessions (the users API comes later; operators and tests use this).
pub fn disable_user(db: impl Into<Database>, user_id: Uuid, clock: &dyn Clock) -> Result<(), OrgError> {
    let now = clock.now();
    write(&db.into(), now, |c| {
        let org_id = ops::disable_user(c, user_id)?.ok_or(OrgError::NoSuchUser(user_id))?;
        ops::append_audit(
            c,
            &AuditRecord::new(
                Some(org_id),
                now,
                AuditActor::system(),
                "user.disable",
                AuditTarget::new("user", user_id.to_string()),
                "User disabled; all sessions ended",
            ),
        )?;
        Ok(())
    })
}

/// Disables an integration as the server does after failed deliveries: it stays disabled, with `reason`,
/// until a Test succeeds. Audited as done by `system` (`integration.disable`). The delivery worker does the
/// same through the store; operators and tests use this.
pub fn disable_integration(
    db: impl Into<Database>,
    org_id: Uuid,
    id: Uuid,
    reason: &str,
    clock: &dyn Clock,
) -> Result<(), OrgError> {
    use orgdeck_shared::integrations::IntegrationStatus;
    let now = clock.now();
    write(&db.into(), now, |c| {
        let mut row = ops::integration(c, org_id, id)?.ok_or(OrgError::NoSuchIntegration(id))?;
        let before = row.view.status.clone();
        row.view.status = IntegrationStatus::Disabled {
            reason: reason.to_owned(),
            at: now,
        };
        row.view.updated_at = now;
        ops::save_integration(c, org_id, &row, row.view.version)?;
        ops::append_audit(
            c,
            &AuditRecord::new(
                Some(org_id),
                now,
                AuditActor::system(),
                "integration.disable",
                AuditTarget::new(crate::services::integrations::AREA, id.to_string()),
                format!("Integration {} disabled: {reason}", row.view.name),
            )
            .changes(orgdeck_shared::audit::diff_fields(
                &serde_json::json!({ "status": before }),
                &serde_json::json!({ "status": row.view.status }),
                &[],
            )),
        )?;
        Ok(())
    })
}

/// What `orgdeck-server admin create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminRecovered {
    pub user_id: Uuid,
    /// An existing user of the organization was made an admin again (else a new user was created).
    pub existing: bool,
}

/// Recovery for an organization left with no admin who can log in: makes `email` an active admin with
/// `password` (a new user, or an existing one of that organization, whose lock, disabling, API-only
/// flag and sessions are cleared). Refused while the organization still has an admin who can log in, so
/// it cannot be used to slip in around them. Audited as done by `system`.
pub fn recover_admin(
    db: impl Into<Database>,
    org_name: &str,
    email: &str,
    password: &str,
    clock: &dyn Clock,
) -> Result<AdminRecovered, OrgError> {
    let email = check_email(email)?;
    password::check_new(password).map_err(OrgError::WeakPassword)?;
    let db = db.into();
    if let Database::Sqlite(dir) = &db
        && !sqlite::db_path(dir).exists()
    {
        return Err(OrgError::NoDatabase(dir.clone()));
    }
    let hash = password::hash(password)?;
    let now = clock.now();
    let place = db.describe();
    write(&db, now, |c| {
        let org_name = org_name.trim();
        let org_id: Option<String> = c
            .query_row(
                "SELECT id FROM organizations WHERE lower(name) = lower(?1)",
                params![org_name],
                |r| r.get(0),
            )
            .optional()?;
        let org_id = org_id.ok_or_else(|| OrgError::NoOrganizationNamed {
            name: org_name.to_owned(),
            place: place.clone(),
        })?;
        let org_id = ops::uuid(&org_id)?;
        let admins = ops::login_admin_count(c, org_id)?;
        if admins > 0 {
            return Err(OrgError::AdminsRemain {
                org: org_name.to_owned(),
                admins,
            });
        }
        let found: Option<(String, String)> = c
            .query_row("SELECT id, org_id FROM users WHERE email = ?1", params![email], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (user_id, existing) = match found {
            Some((_, other)) if other != org_id.to_string() => return Err(OrgError::OtherOrganization(email.clone())),
            Some((id, _)) => {
                c.execute(
                    "UPDATE users SET role = ?2, enabled = TRUE, api_only = FALSE, status = ?3, failed_attempts = 0,
                         locked_at = NULL, password_hash = ?4, must_change_password = FALSE, version = version + 1
                     WHERE id = ?1",
                    params![id, OrgRole::Admin.as_str(), UserStatus::Active.as_str(), hash],
                )?;
                c.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])?;
                let id = ops::uuid(&id)?;
                ops::record_password_change(c, id, &hash, now)?;
                (id, true)
            }
            None => {
                let id = Uuid::new_v4();
                insert_user(c, org_id, id, &email, Some(hash.clone()), OrgRole::Admin, now)?;
                (id, false)
            }
        };
        ops::append_audit(
            c,
            &AuditRecord::new(
                Some(org_id),
                now,
                AuditActor::system(),
                "user.recover_admin",
                AuditTarget::new("user", user_id.to_string()),
                format!(
                    "{email} {} by the server's operator: the organization had no admin who could log in",
                    if existing {
                        "made an active admin with a new password"
                    } else {
                        "created as an admin"
                    }
                ),
            ),
        )?;
        Ok(AdminRecovered { user_id, existing })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const PASSWORD: &str = "a password long enough";

    #[test]
    fn operator_actions_refuse_with_the_case_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(Timestamp::now());
        assert!(matches!(check_email("no-at-sign"), Err(OrgError::InvalidEmail(_))));
        assert!(matches!(
            init_org(dir.path(), "Acme", "ada@acme.example", "short", &clock),
            Err(OrgError::WeakPassword(_))
        ));
        init_org(dir.path(), "Acme", "ada@acme.example", PASSWORD, &clock).unwrap();

        let stranger = Uuid::new_v4();
        let err = create_user(
            dir.path(),
            stranger,
            "bob@acme.example",
            PASSWORD,
            OrgRole::View,
            &clock,
        )
        .unwrap_err();
        assert!(
            matches!(err, OrgError::NoSuchOrganization(id) if id == stranger),
            "{err:?}"
        );
        let err = disable_user(dir.path(), stranger, &clock).unwrap_err();
        assert!(matches!(err, OrgError::NoSuchUser(id) if id == stranger), "{err:?}");
        let err = recover_admin(dir.path(), "Acme", "bob@acme.example", PASSWORD, &clock).unwrap_err();
        assert!(matches!(err, OrgError::AdminsRemain { admins: 1, .. }), "{err:?}");
        let err = recover_admin(dir.path(), "Umbrella", "bob@acme.example", PASSWORD, &clock).unwrap_err();
        assert!(matches!(err, OrgError::NoOrganizationNamed { .. }), "{err:?}");
    }
}
