//! Password hashing: argon2id, its parameters in one place, always off the async threads.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier},
};
use orgdeck_shared::auth::Secret;
use tokio::sync::Semaphore;

/// OWASP's argon2id choice: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// The shortest password the default (NIST) policy accepts.
pub const MIN_LENGTH: usize = 15;
/// The longest password accepted, in characters.
pub const MAX_LENGTH: usize = 128;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password could not be hashed or checked (never whether it matched).
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("argon2")]
    Hash(#[source] argon2::password_hash::Error),
    #[error("password verification has shut down")]
    Closed(#[source] tokio::sync::AcquireError),
    #[error("password verification did not finish")]
    Task(#[source] tokio::task::JoinError),
}

/// The PHC string (`$argon2id$v=19$...`) of a password, with a fresh random salt. Blocking: call it from a
/// blocking thread.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(PasswordError::Hash)
}

/// Whether `password` matches the PHC string. Blocking.
pub fn verify(password: &str, phc: &str) -> bool {
    argon2().verify_password(password.as_bytes(), phc).is_ok()
}

/// A password a new account may have under the default policy (the full policy comes with its settings).
pub fn check_new(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        Err(format!(
            "the password must have at least {MIN_LENGTH} characters (has {chars})"
        ))
    } else if chars > MAX_LENGTH {
        Err(format!("the password must have at most {MAX_LENGTH} characters"))
    } else {
        Ok(())
    }
}

/// Verifies passwords for the server: a bounded number at a time (each takes 19 MiB and a core for a
/// while), and against a dummy hash when there is no account, so unknown emails take as long as known ones.
pub struct Passwords {
    dummy_hash: String,
    permits: Arc<Semaphore>,
}

impl Passwords {
    pub fn new() -> Result<Self, PasswordError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            dummy_hash: hash("orgdeck dummy password for timing")?,
            permits: Arc::new(Semaphore::new(cores * 2)),
        })
    }

    /// Verifies `password` against `phc`, or against the dummy hash when `phc` is `None` (then always false).
    pub async fn verify(&self, password: &Secret, phc: Option<&str>) -> Result<bool, PasswordError> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(PasswordError::Closed)?;
        let real = phc.is_some();
        let phc = phc.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.clone();
        let ok = tokio::task::spawn_blocking(move || verify(password.expose(), &phc))
            .await
            .map_err(PasswordError::Task)?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapl", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn new_passwords_need_15_characters() {
        assert!(check_new("fourteen chars").is_err());
        assert!(check_new("fifteen chars!!").is_ok());
        assert!(check_new(&"é".repeat(15)).is_ok());
        assert!(check_new(&"x".repeat(129)).is_err());
    }
}
