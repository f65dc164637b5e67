//! Many realistic users fast, for benchmarks and tests: one transaction, one password hash.

use jiff::SignedDuration;
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    auth::OrgRole,
};
use uuid::Uuid;

use crate::{
    auth::password::{self, PasswordError},
    clock::Clock,
    orgs::{self, OrgError, WriteError},
    store::{AuditRecord, StoreError, UserStatus, sqlite::ops},
};

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// No such organization, among others.
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sql(#[from] crate::store::sql::Error),
    #[error(transparent)]
    Time(#[from] jiff::Error),
}

/// The password of every seeded user that has one.
pub const SEED_PASSWORD: &str = "seeded user password 2026";

const FIRST: &[&str] = &[
    "Ada", "Aiko", "Alan", "Amara", "Ana", "Anders", "Aroha", "Ben", "Bjorn", "Camila", "Carlos", "Chen", "Chloe",
    "Dara", "David", "Diego", "Elena", "Emeka", "Emma", "Farah", "Fatima", "Felix", "Grace", "Hana", "Hiro", "Ines",
    "Ivan", "Jamal", "Jana", "Javier", "Jin", "John", "Jonas", "Julia", "Kai", "Kofi", "Lars", "Leila", "Lena", "Liam",
    "Lucia", "Maria", "Mateo", "Maya", "Mei", "Mohammed", "Nadia", "Nia", "Noah", "Olga", "Omar", "Oscar", "Paula",
    "Pedro", "Priya", "Rafael", "Rosa", "Ruth", "Sam", "Sara", "Sean", "Sofia", "Sven", "Tariq", "Tomas", "Uma",
    "Victor", "Wei", "Ximena", "Yara", "Yusuf", "Zofia", "Zoe",
];

const LAST: &[&str] = &[
    "Abe",
    "Adeyemi",
    "Alvarez",
    "Andersen",
    "Aziz",
    "Bauer",
    "Becker",
    "Brown",
    "Castro",
    "Chen",
    "Costa",
    "Demir",
    "Diaz",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Gonzalez",
    "Gupta",
    "Hansen",
    "Hoffmann",
    "Ibrahim",
    "Ito",
    "Jensen",
    "Johnson",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lee",
    "Lopez",
    "Lovelace",
    "Martin",
    "Mensah",
    "Meyer",
    "Moreau",
    "Muller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Perez",
    "Petrov",
    "Rahman",
    "Ramos",
    "Rossi",
    "Sato",
    "Schmidt",
    "Sharma",
    "Silva",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Van der Berg",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "Williams",
    "Wilson",
    "Wu",
    "Yamamoto",
    "Zhang",
];

/// A small deterministic generator (splitmix64), so a seed is the same every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Inserts `count` users into the organization `org_id` of `data_dir` in one transaction: varied names,
/// unique emails (`first.last.N@seed.example`), mostly active with some disabled, locked and pending
/// (no password), mostly View with some Edit, Rules Admin and Admin, and a last login for most. Those with
/// a password share [`SEED_PASSWORD`] (hashed once). 100,000 users take a few seconds.
pub fn seed_users(
    db: impl Into<orgs::Database>,
    org_id: Uuid,
    count: usize,
    clock: &dyn Clock,
) -> Result<(), SeedError> {
    let hash = password::hash(SEED_PASSWORD)?;
    let now = clock.now();
    let mut rng = Mix(0x5eed_0000 ^ count as u64);
    let db = db.into();
    orgs::write(&db, now, |c| -> Result<(), SeedError> {
        orgs::require_org(c, org_id)?;
        let base: i64 = c.query_row(
            "SELECT COUNT(*) FROM users WHERE org_id = ?1",
            crate::store::sql::params![org_id.to_string()],
            |r| r.get(0),
        )?;
        for i in 0..count {
            let first = FIRST[rng.below(FIRST.len() as u64) as usize];
            let last = LAST[rng.below(LAST.len() as u64) as usize];
            let n = base as usize + i + 1;
            let local = format!("{first}.{last}.{n}").to_lowercase().replace(' ', "");
            let status = match rng.below(100) {
                0..=89 => UserStatus::Active,
                90..=93 => UserStatus::Disabled,
                94..=96 => UserStatus::Locked,
                _ => UserStatus::Pending,
            };
            let role = match rng.below(100) {
                0..=84 => OrgRole::View,
                85..=92 => OrgRole::Edit,
                93..=96 => OrgRole::RulesAdmin,
                _ => OrgRole::Admin,
            };
            let last_login_at = if status != UserStatus::Pending && rng.below(10) < 7 {
                let mins = rng.below(90 * 24 * 60) as i64;
                Some(now.checked_sub(SignedDuration::from_mins(mins))?)
            } else {
                None
            };
            let created_at = now.checked_sub(SignedDuration::from_hours(24 * 120))?;
            ops::insert_user(
                c,
                &ops::NewUser {
                    id: Uuid::new_v4(),
                    org_id,
                    email: format!("{local}@seed.example"),
                    first_name: first.to_owned(),
                    last_name: last.to_owned(),
                    password_hash: (status != UserStatus::Pending).then(|| hash.clone()),
                    role,
                    enabled: status != UserStatus::Disabled,
                    api_only: rng.below(50) == 0,
                    status,
                    last_login_at,
                    last_login_ip: last_login_at.map(|_| format!("198.51.100.{}", rng.below(250) + 1)),
                    created_at,
                },
            )?;
        }
        ops::append_audit(
            c,
            &AuditRecord::new(
                Some(org_id),
                now,
                AuditActor::system(),
                "user.seed",
                AuditTarget::new("users", "seed"),
                format!("Seeded {count} users"),
            ),
        )?;
        Ok(())
    })?;
    analyze(&db, "users")
}

/// After a bulk load on PostgreSQL, `table` vacuumed and analyzed (as after `pg_restore`; autovacuum would
/// get to it within a minute or so): plans chosen before that assume the table as it was, and index-only
/// scans read every row until the visibility map says the pages are all visible.
fn analyze(db: &orgs::Database, table: &str) -> Result<(), SeedError> {
    Ok(orgs::maintain(db, &format!("VACUUM (ANALYZE) {table}"))?)
}

const AUDIT_KINDS: &[(&str, &str, &str)] = &[
    ("auth.login", "user", "Logged in"),
    ("auth.login_failed", "user", "Login failed: wrong password"),
    ("auth.logout", "user", "Logged out"),
    ("settings.update", "settings", "Changed general settings: name"),
    ("user.update", "user", "Updated user: role"),
    ("group.update", "group", "Updated group: members"),
    ("session.end", "user", "Session ended by an admin"),
    ("user.create", "user", "User created with a password"),
];

/// `count` audit entries of `org_id` in one transaction, spread evenly over the year before the clock's
/// now (oldest first), with actors, actions and summaries that vary like a real log. A million take
/// seconds in a release build (the S3 measurement seeds this way).
pub fn seed_audit(
    db: impl Into<orgs::Database>,
    org_id: Uuid,
    count: usize,
    clock: &dyn Clock,
) -> Result<(), SeedError> {
    let now = clock.now();
    let span_ms: i64 = 365 * 24 * 3600 * 1000;
    let step = span_ms / count.max(1) as i64;
    let start = now.checked_sub(SignedDuration::from_millis(span_ms))?;
    let mut rng = Mix(0xa0d1_7000 ^ count as u64);
    let db = db.into();
    orgs::write(&db, now, |c| -> Result<(), SeedError> {
        orgs::require_org(c, org_id)?;
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..count {
            let at = start.checked_add(SignedDuration::from_millis(step * i as i64))?;
            let first = FIRST[rng.below(FIRST.len() as u64) as usize];
            let last = LAST[rng.below(LAST.len() as u64) as usize];
            let email = format!("{first}.{last}@seed.example").to_lowercase().replace(' ', "");
            let (action, kind, summary) = AUDIT_KINDS[rng.below(AUDIT_KINDS.len() as u64) as usize];
            let ip = format!("198.51.100.{}", rng.below(250) + 1);
            batch.push(
                AuditRecord::new(
                    Some(org_id),
                    at,
                    AuditActor { user_id: None, email },
                    action,
                    AuditTarget::new(kind, format!("{kind}-{}", rng.below(5000))),
                    format!("{summary} ({first} {last})"),
                )
                .ip(ip),
            );
            if batch.len() == batch.capacity() {
                ops::append_audit_many(c, &batch)?;
                batch.clear();
            }
        }
        ops::append_audit_many(c, &batch)?;
        Ok(())
    })?;
    analyze(&db, "audit_log")
}
