//! Secrets at rest (TOTP secrets, queued mail bodies): XChaCha20-Poly1305 under a 32-byte server key,
//! so a copy of the database alone does not reveal them; and keyed hashes (HMAC-SHA-256 under a key
//! derived from the same key) of short codes, which a plain hash would not protect (a 6-digit code
//! has only a million values).
//!
//! The key comes from, in order: `--secret-key` / `ORGDECK_SECRET_KEY` (base64), `secret_key` in the
//! configuration file (base64), else the file `secret.key` in the data directory, created with mode 0600
//! (32 random bytes, base64) on first start. Losing the key makes every TOTP enrolment unusable (admins
//! can reset them).

use std::path::{Path, PathBuf};

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 24;

/// Encrypts and decrypts small secrets with the server key.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// Derived from the server key, so the cipher key is never used for anything else.
    hash_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// Why a configured or stored key is not a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the secret key is not valid base64")]
    NotBase64(#[source] base64::DecodeError),
    #[error("the secret key must be 32 bytes (44 base64 characters), not {len}")]
    WrongLength { len: usize },
}

/// Why the data directory's key file cannot give the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot make {} private", .path.display())]
    Restrict { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", .path.display())]
    Invalid { path: PathBuf, source: KeyError },
    #[error(transparent)]
    DataDir(#[from] crate::data_dir::DataDirError),
    #[error("cannot write {}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretBoxError {
    #[error("encryption failed")]
    Encrypt,
    #[error("sealed value too short")]
    TooShort,
    /// Another key, another context, or a damaged value.
    #[error("a stored secret does not decrypt with the server key")]
    Decrypt,
}

/// A base64 key of exactly 32 bytes.
pub fn parse_key(b64: &str) -> Result<[u8; 32], KeyError> {
    let bytes = STANDARD.decode(b64.trim()).map_err(KeyError::NotBase64)?;
    let len = bytes.len();
    bytes.try_into().map_err(|_| KeyError::WrongLength { len })
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        let mut derive = Sha256::new();
        derive.update(b"orgdeck code hash key\0");
        derive.update(key);
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            hash_key: derive.finalize().into(),
        }
    }

    /// The keyed hash (hex HMAC-SHA-256) of a short code, bound to `context` (who it is for, what it
    /// answers), so a code is only ever compared with its own kind.
    pub fn code_hash(&self, context: &str, code: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.hash_key).expect("HMAC takes any key length");
        mac.update(context.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The configured key, else the data directory's key file (created 0600 when missing; made 0600 when
    /// found looser).
    pub fn load(configured: Option<[u8; 32]>, data_dir: &Path) -> Result<Self, KeyFileError> {
        if let Some(key) = configured {
            return Ok(Self::new(&key));
        }
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            if let Err(source) = crate::data_dir::restrict_file(&path) {
                return Err(KeyFileError::Restrict { path, source });
            }
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(source) => return Err(KeyFileError::Read { path, source }),
            };
            return match parse_key(&text) {
                Ok(key) => Ok(Self::new(&key)),
                Err(source) => Err(KeyFileError::Invalid { path, source }),
            };
        }
        crate::data_dir::create_private_dir(data_dir).map_err(|source| crate::data_dir::DataDirError::CreateDir {
            dir: data_dir.to_owned(),
            source,
        })?;
        let mut key = [0u8; 32];
        rand::fill(&mut key[..]);
        if let Err(source) = write_private(&path, STANDARD.encode(key).as_bytes()) {
            return Err(KeyFileError::Write { path, source });
        }
        tracing::info!(path = %path.display(), "generated the server secret key");
        Ok(Self::new(&key))
    }

    /// `nonce || ciphertext`, bound to `context` (e.g. the user id) so a value cannot be moved.
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Result<Vec<u8>, SecretBoxError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            .map_err(|_| SecretBoxError::Encrypt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SecretBoxError> {
        if sealed.len() <= NONCE_LEN {
            return Err(SecretBoxError::TooShort);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                // Exactly NONCE_LEN bytes after the split: cannot fail.
                &XNonce::try_from(nonce).map_err(|_| SecretBoxError::TooShort)?,
                Payload {
                    msg: body,
                    aad: context,
                },
            )
            .map_err(|_| SecretBoxError::Decrypt)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bound_to_context() {
        let b = SecretBox::new(&[7; 32]);
        let sealed = b.seal(b"user-1", b"secret").unwrap();
        assert_eq!(b.open(b"user-1", &sealed).unwrap(), b"secret");
        assert!(matches!(b.open(b"user-2", &sealed), Err(SecretBoxError::Decrypt)));
        assert!(matches!(
            SecretBox::new(&[8; 32]).open(b"user-1", &sealed),
            Err(SecretBoxError::Decrypt)
        ));
        assert!(matches!(
            b.open(b"user-1", &sealed[..24]),
            Err(SecretBoxError::TooShort)
        ));
    }

    #[test]
    fn code_hashes_depend_on_the_key_and_the_context() {
        let b = SecretBox::new(&[7; 32]);
        let h = b.code_hash("user-1 enrol", "123456");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("123456"));
        assert_eq!(h, b.code_hash("user-1 enrol", "123456"));
        assert_ne!(h, b.code_hash("user-2 enrol", "123456"));
        assert_ne!(h, SecretBox::new(&[8; 32]).code_hash("user-1 enrol", "123456"));
    }

    #[test]
    fn key_file_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::load(None, dir.path()).unwrap();
        let sealed = a.seal(b"x", b"y").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(b.open(b"x", &sealed).unwrap(), b"y");
        assert!(matches!(parse_key("c2hvcnQ="), Err(KeyError::WrongLength { len: 5 })));
    }

    #[test]
    fn a_damaged_key_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not base64!").unwrap();
        let err = SecretBox::load(None, dir.path()).unwrap_err();
        assert!(
            matches!(
                &err,
                KeyFileError::Invalid {
                    source: KeyError::NotBase64(_),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(KEY_FILE), "{err}");
    }
}
