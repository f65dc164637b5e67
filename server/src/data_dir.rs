//! The data directory: private to the server's user (the folder 0700, every file in it 0600, whatever the
//! umask), and served by one `serve` at a time.
//!
//! A folder the server creates is made 0700. An existing folder open to others is left as the operator set
//! it, with a warning: its files are 0600 anyway, and changing a folder someone else made could break
//! what they set it up for (a backup group). The server's own files that are looser (an `orgdeck.db` from
//! before this rule, at 0644) are tightened to 0600.

use std::{
    fs::File,
    io,
    path::{Path, PathBuf},
};

/// The file `serve` holds an exclusive lock on, in the data directory.
pub const LOCK_FILE: &str = "serve.lock";

/// Why the data directory, or one of the server's files in it, cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("cannot create data directory {}", .dir.display())]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error("cannot read the permissions of data directory {}", .dir.display())]
    Inspect { dir: PathBuf, source: io::Error },
    #[error("cannot create {}", .path.display())]
    CreateFile { path: PathBuf, source: io::Error },
    #[error("cannot open {}", .path.display())]
    OpenFile { path: PathBuf, source: io::Error },
    #[error("cannot make {} private", .path.display())]
    Restrict { path: PathBuf, source: io::Error },
    #[error("cannot lock {}", .path.display())]
    Lock { path: PathBuf, source: io::Error },
    /// Another `serve` holds the lock.
    #[error(
        "another orgdeck server is already serving the data directory {}: only one `serve` per data \
         directory (its read caches would not see the other's writes); stop it first, or run several \
         servers over PostgreSQL",
        .dir.display()
    )]
    AlreadyServed { dir: PathBuf },
}

/// Creates `dir` (and its missing parents) with mode 0700; an existing folder is kept as it is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the data directory if needed (0700), warning when an existing one is open to other users.
pub fn prepare(dir: &Path) -> Result<(), DataDirError> {
    create_private_dir(dir).map_err(|source| DataDirError::CreateDir {
        dir: dir.to_owned(),
        source,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir).map_err(|source| DataDirError::Inspect {
            dir: dir.to_owned(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                data_dir = %dir.display(),
                mode = format!("{mode:o}"),
                "the data directory is open to other users; its files are 0600, but `chmod 700` it unless \
                 something needs it open"
            );
        }
    }
    Ok(())
}

/// Creates `path` empty with mode 0600 if it does not exist (so SQLite, which gives its `-wal` and `-shm`
/// files the database's mode, opens a private file whatever the umask).
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes read and write from group and others on `path` if it exists and has them (0644 becomes 0600).
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The exclusive lock of a serving data directory: held while it lives, released when dropped (and by the
/// system when the process ends, even killed).
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

impl ServeLock {
    /// Locks `dir` for one `serve`, or says which directory is already served. Admin commands (`init`,
    /// `org create`) do not take it: they are the supported way to change the database while it serves.
    pub fn acquire(dir: &Path) -> Result<Self, DataDirError> {
        let path = dir.join(LOCK_FILE);
        if let Err(source) = create_private_file(&path) {
            return Err(DataDirError::CreateFile { path, source });
        }
        let file = match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(f) => f,
            Err(source) => return Err(DataDirError::OpenFile { path, source }),
        };
        match file.try_lock() {
            Ok(()) => Ok(ServeLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(DataDirError::AlreadyServed { dir: dir.to_owned() }),
            Err(std::fs::TryLockError::Error(source)) => Err(DataDirError::Lock { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_directory_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = ServeLock::acquire(dir.path()).unwrap();
        let err = ServeLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, DataDirError::AlreadyServed { .. }), "{err:?}");
        let err = err.to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        drop(first);
        assert!(ServeLock::acquire(dir.path()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn loose_files_are_tightened_and_new_ones_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let loose = dir.path().join("loose");
        std::fs::write(&loose, b"x").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o664)).unwrap();
        restrict_file(&loose).unwrap();
        assert_eq!(mode(&loose), 0o600);
        restrict_file(&dir.path().join("absent")).unwrap();
        let fresh = dir.path().join("a/b");
        create_private_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        create_private_file(&fresh.join("f")).unwrap();
        assert_eq!(mode(&fresh.join("f")), 0o600);
    }
}
