//! Where the session token lives between runs (never the password): the OS keyring when one works,
//! else a 0600 file in a 0700 directory under the data dir (with a one-time warning). `ORGDECK_TOKEN`
//! overrides both.

use std::{
    fs,
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use anyhow::{Context, bail};
use orgdeck_shared::auth::Secret;

use crate::config::CredentialStoreKind;

/// The keyring service name tokens are stored under; the profile name is the account.
const SERVICE: &str = "orgdeck";

/// A place that keeps one token per profile.
pub trait TokenStore: Send + Sync {
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>>;
    fn set(&self, profile: &str, token: &Secret) -> anyhow::Result<()>;
    fn delete(&self, profile: &str) -> anyhow::Result<()>;
    fn describe(&self) -> String;
}

/// The OS keyring (keyring 3 with the native backends). Any error means "no keyring here".
pub struct KeyringStore {
    /// Whether keys stored here outlive this process (see [`KeyringStore::detect`]).
    usable: bool,
}

impl KeyringStore {
    /// The keyring, if keys stored in it will be found by the next process. On Linux the kernel keyring
    /// keeps keys for later processes only through a session keyring: a process without one (no PAM
    /// session, as in many containers and CI) resolves "session" to the per-user session keyring, where
    /// keyring-rs's keys are readable by the writing process alone. Must run before any other keyring call,
    /// which may give this process an anonymous session of its own.
    pub fn detect() -> KeyringStore {
        #[cfg(target_os = "linux")]
        {
            use linux_keyutils::{KeyRing, KeyRingIdentifier};
            let session = KeyRing::from_special_id(KeyRingIdentifier::Session, false);
            let user_session = KeyRing::from_special_id(KeyRingIdentifier::UserSession, false);
            let usable = matches!((session, user_session), (Ok(s), Ok(u)) if s != u);
            if !usable {
                tracing::info!("no session keyring in this process: the OS keyring would not keep the token");
            }
            KeyringStore { usable }
        }
        #[cfg(not(target_os = "linux"))]
        KeyringStore { usable: true }
    }

    fn entry(&self, profile: &str) -> anyhow::Result<keyring::Entry> {
        if !self.usable {
            bail!("no session keyring: a stored token would not outlive this process");
        }
        Ok(keyring::Entry::new(SERVICE, profile)?)
    }
}

impl TokenStore for KeyringStore {
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        let entry = self.entry(profile)?;
        match entry.get_password() {
            Ok(t) => Ok(Some(Secret::new(t))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn set(&self, profile: &str, token: &Secret) -> anyhow::Result<()> {
        let entry = self.entry(profile)?;
        entry.set_password(token.expose())?;
        // A keyring without a backend (or without a session keyring) accepts the write and keeps nothing:
        // only a read-back through a fresh entry proves the token is really stored.
        let back = self.entry(profile)?.get_password()?;
        if back != token.expose() {
            bail!("the keyring did not keep the token");
        }
        Ok(())
    }

    fn delete(&self, profile: &str) -> anyhow::Result<()> {
        match self.entry(profile)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn describe(&self) -> String {
        "the OS keyring".into()
    }
}

/// One 0600 file per profile in a 0700 directory.
pub struct FileStore {
    pub dir: PathBuf,
}

impl FileStore {
    fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{profile}.token"))
    }

    fn ensure_dir(&self) -> anyhow::Result<()> {
        fs::create_dir_all(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

impl TokenStore for FileStore {
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        match fs::read_to_string(self.path(profile)) {
            Ok(t) if !t.trim().is_empty() => Ok(Some(Secret::new(t.trim()))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn set(&self, profile: &str, token: &Secret) -> anyhow::Result<()> {
        self.ensure_dir()?;
        let path = self.path(profile);
        let tmp = path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(token.expose().as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        Ok(())
    }

    fn delete(&self, profile: &str) -> anyhow::Result<()> {
        match fs::remove_file(self.path(profile)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn describe(&self) -> String {
        format!("the file {} (mode 0600)", self.dir.display())
    }
}

/// Tokens kept in this process only (the demo, `credential_store = "memory"`).
#[derive(Default)]
pub struct MemoryStore(Mutex<std::collections::HashMap<String, Secret>>);

impl TokenStore for MemoryStore {
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        Ok(self.0.lock().expect("token lock").get(profile).cloned())
    }
    fn set(&self, profile: &str, token: &Secret) -> anyhow::Result<()> {
        self.0
            .lock()
            .expect("token lock")
            .insert(profile.to_owned(), token.clone());
        Ok(())
    }
    fn delete(&self, profile: &str) -> anyhow::Result<()> {
        self.0.lock().expect("token lock").remove(profile);
        Ok(())
    }
    fn describe(&self) -> String {
        "memory only".into()
    }
}

/// The token of one profile: the keyring first, then the file; the environment overrides both.
#[derive(Clone)]
pub struct Credentials {
    profile: String,
    env_token: Option<Secret>,
    keyring: Option<Arc<dyn TokenStore>>,
    fallback: Arc<dyn TokenStore>,
    /// Exists once the fallback warning was shown, so it is shown once, not at every login.
    warned_marker: Option<PathBuf>,
}

/// The outcome of storing a token: where it went, and a warning to show once when it fell back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub warning: Option<String>,
}

impl Credentials {
    /// The credentials of `profile`. `ORGDECK_CREDENTIAL_STORE` (`file`, `memory`, `auto`) overrides the
    /// configured kind, so tests and CI can keep away from the user's keyring.
    pub fn open(profile: &str, kind: CredentialStoreKind, credentials_dir: PathBuf) -> Credentials {
        let kind = std::env::var("ORGDECK_CREDENTIAL_STORE")
            .ok()
            .and_then(|v| CredentialStoreKind::parse(&v))
            .unwrap_or(kind);
        let env_token = std::env::var("ORGDECK_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        let warned_marker = Some(credentials_dir.join(".keyring-fallback-warned"));
        let file: Arc<dyn TokenStore> = Arc::new(FileStore { dir: credentials_dir });
        let (keyring, fallback): (Option<Arc<dyn TokenStore>>, Arc<dyn TokenStore>) = match kind {
            CredentialStoreKind::Auto => (Some(Arc::new(KeyringStore::detect())), file),
            CredentialStoreKind::File => (None, file),
            CredentialStoreKind::Memory => (None, Arc::new(MemoryStore::default())),
        };
        Credentials {
            profile: profile.to_owned(),
            env_token,
            keyring,
            fallback,
            warned_marker,
        }
    }

    /// Credentials over explicit stores (tests, the demo).
    pub fn with_stores(
        profile: &str,
        keyring: Option<Arc<dyn TokenStore>>,
        fallback: Arc<dyn TokenStore>,
    ) -> Credentials {
        Credentials {
            profile: profile.to_owned(),
            env_token: None,
            keyring,
            fallback,
            warned_marker: None,
        }
    }

    /// Memory only, for the demo: nothing is written anywhere.
    pub fn memory(profile: &str) -> Credentials {
        Credentials::with_stores(profile, None, Arc::new(MemoryStore::default()))
    }

    pub fn from_env(&self) -> bool {
        self.env_token.is_some()
    }

    /// The stored token, if any. Blocking (keyring calls): run off the UI loop.
    pub fn load(&self) -> Option<Secret> {
        if let Some(t) = &self.env_token {
            return Some(t.clone());
        }
        if let Some(keyring) = &self.keyring {
            match keyring.get(&self.profile) {
                Ok(Some(t)) => {
                    tracing::debug!(profile = %self.profile, "session token found in the keyring");
                    return Some(t);
                }
                Ok(None) => tracing::debug!(profile = %self.profile, "no session token in the keyring"),
                Err(e) => tracing::info!("keyring not available: {e:#}"),
            }
        }
        match self.fallback.get(&self.profile) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("reading the stored token: {e:#}");
                None
            }
        }
    }

    /// Stores a new token: in the keyring when it really keeps it, else in the fallback.
    pub fn save(&self, token: &Secret) -> anyhow::Result<Stored> {
        if self.env_token.is_some() {
            return Ok(Stored { warning: None });
        }
        if let Some(keyring) = &self.keyring {
            match keyring.set(&self.profile, token) {
                Ok(()) => {
                    let _ = self.fallback.delete(&self.profile);
                    return Ok(Stored { warning: None });
                }
                Err(e) => {
                    tracing::info!("keyring not available, using the file: {e:#}");
                    self.fallback.set(&self.profile, token)?;
                    let warned = self.warned_marker.as_ref().is_some_and(|m| m.exists());
                    if let Some(marker) = &self.warned_marker {
                        let _ = std::fs::write(marker, b"");
                    }
                    let warning = format!(
                        "No OS keyring available: session token stored in {}",
                        self.fallback.describe()
                    );
                    return Ok(Stored {
                        warning: (!warned).then_some(warning),
                    });
                }
            }
        }
        self.fallback.set(&self.profile, token)?;
        Ok(Stored { warning: None })
    }

    /// Forgets the token everywhere it may be.
    pub fn clear(&self) {
        if let Some(keyring) = &self.keyring {
            let _ = keyring.delete(&self.profile);
        }
        let _ = self.fallback.delete(&self.profile);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct BrokenKeyring;
    impl TokenStore for BrokenKeyring {
        fn get(&self, _: &str) -> anyhow::Result<Option<Secret>> {
            bail!("no keyring")
        }
        fn set(&self, _: &str, _: &Secret) -> anyhow::Result<()> {
            bail!("no keyring")
        }
        fn delete(&self, _: &str) -> anyhow::Result<()> {
            bail!("no keyring")
        }
        fn describe(&self) -> String {
            "broken".into()
        }
    }

    #[test]
    fn file_store_keeps_the_token_private_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore {
            dir: dir.path().join("creds"),
        };
        store.set("prod", &Secret::new("tok-1")).unwrap();
        assert_eq!(store.get("prod").unwrap().unwrap().expose(), "tok-1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir.path().join("creds/prod.token")), 0o600);
            assert_eq!(mode(dir.path().join("creds")), 0o700);
        }
        store.delete("prod").unwrap();
        assert!(store.get("prod").unwrap().is_none());
    }

    #[test]
    fn a_failing_keyring_falls_back_to_the_file_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(FileStore {
            dir: dir.path().to_path_buf(),
        });
        let creds = Credentials::with_stores("p", Some(Arc::new(BrokenKeyring)), file);
        let stored = creds.save(&Secret::new("t")).unwrap();
        assert!(stored.warning.unwrap().contains("No OS keyring"));
        assert_eq!(creds.load().unwrap().expose(), "t");
        creds.clear();
        assert!(creds.load().is_none());
    }
}
