//! Exact read caches for the lookups every request makes (its session, the general settings, the settings
//! documents its checks and its answer read). An entry serves only while no write has committed since it
//! was read: not in this process (a counter that every commit moves) and not in another (the `write.gen`
//! file that every out-of-process write through [`crate::orgs`] rewrites after its commit). Any commit empties every cache at once, so there is nothing
//! to keep in step per table; what a cache saves is the read traffic between writes.

use std::{
    collections::HashMap,
    fs::File,
    hash::Hash,
    io,
    path::Path,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

/// The file out-of-process writers rewrite, in the data directory.
pub const GENERATION_FILE: &str = "write.gen";

/// What the database looked like when a value was read: this process's commit count and the
/// out-of-process writers' last mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    commits: u64,
    external: u64,
}

pub struct Generation {
    commits: AtomicU64,
    /// Told of every commit of this process (the live-update streams wait on it).
    notify: tokio::sync::watch::Sender<u64>,
    /// `None`: the mark file could not be opened, and nothing is cached.
    external: Option<Mark>,
}

impl Generation {
    pub fn open(data_dir: &Path) -> Self {
        let path = data_dir.join(GENERATION_FILE);
        let external = mark_options()
            .read(true)
            .open(&path)
            .and_then(|f| {
                if f.metadata()?.len() < 8 {
                    write_mark(&f, 0)?;
                }
                Mark::map(f)
            })
            .inspect_err(|e| tracing::warn!(error = %e, "no read cache: cannot open {}", path.display()))
            .ok();
        Generation {
            commits: AtomicU64::new(0),
            notify: tokio::sync::watch::Sender::new(0),
            external,
        }
    }

    /// Now, to be taken before the read whose result is cached; `None` when it cannot be told.
    pub fn stamp(&self) -> Option<Stamp> {
        let mark = self.external.as_ref()?;
        let commits = self.commits.load(Ordering::Acquire);
        Some(Stamp {
            commits,
            external: mark.read()?,
        })
    }

    /// How many write transactions of this process committed.
    #[cfg(test)]
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// A write transaction of this process committed.
    pub fn committed(&self) {
        let n = self.commits.fetch_add(1, Ordering::Release) + 1;
        self.notify.send_replace(n);
    }

    /// A receiver that wakes after each commit of this process.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.notify.subscribe()
    }
}

/// The mark file, read on every request: through a shared mapping of its first page where there is one
/// (a load, no system call; the kernel keeps it the same page as the writers' `pwrite`), else with a
/// positioned read.
struct Mark {
    #[cfg(unix)]
    map: memmap2::MmapRaw,
    #[cfg(not(unix))]
    file: File,
}

impl Mark {
    #[cfg(unix)]
    fn map(file: File) -> io::Result<Self> {
        let map = memmap2::MmapOptions::new().len(8).map_raw_read_only(&file)?;
        Ok(Mark { map })
    }

    #[cfg(not(unix))]
    fn map(file: File) -> io::Result<Self> {
        Ok(Mark { file })
    }

    #[cfg(unix)]
    fn read(&self) -> Option<u64> {
        let ptr = self.map.as_ptr().cast::<AtomicU64>();
        // SAFETY: the mapping is 8 bytes long, starts at a page boundary (so is aligned for a u64) and
        // lives as long as `self`. Other processes write it with `pwrite` of all 8 bytes; an atomic load
        // reads the 8 bytes as one, and a torn value would only differ from the cached stamp (no cache hit).
        let value = unsafe { (*ptr).load(Ordering::Acquire) };
        Some(u64::from_le(value))
    }

    #[cfg(not(unix))]
    fn read(&self) -> Option<u64> {
        let mut buf = [0u8; 8];
        read_mark(&self.file, &mut buf).ok()?;
        Some(u64::from_le_bytes(buf))
    }
}

#[cfg(not(unix))]
fn read_mark(_: &File, _: &mut [u8; 8]) -> io::Result<()> {
    Err(io::Error::other("no positioned reads here: no read cache"))
}

#[cfg(unix)]
fn write_mark(file: &File, value: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, &value.to_le_bytes(), 0)
}

#[cfg(not(unix))]
fn write_mark(_: &File, _: u64) -> io::Result<()> {
    Err(io::Error::other("no positioned writes here"))
}

/// Opens the mark file for writing, creating it private (0600) like every file of the data directory.
fn mark_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Tells a running server that this process committed a write (call it after the commit). A fresh
/// random mark, not a count, so two writers at once cannot leave it unchanged.
pub fn mark_external_write(data_dir: &Path) -> io::Result<()> {
    let file = mark_options().open(data_dir.join(GENERATION_FILE))?;
    write_mark(&file, rand::random::<u64>())
}

/// A bounded map of values with the stamp they were read at.
pub struct ReadCache<K, V> {
    entries: Mutex<HashMap<K, (Stamp, V)>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        ReadCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The value read at `now`'s stamp, if nothing committed since.
    pub fn get<Q>(&self, key: &Q, now: Stamp) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(at, _)| *at == now).map(|(_, v)| v.clone())
    }

    /// Keeps `value`, read after `at` was taken. A full cache starts over.
    pub fn put(&self, key: K, at: Stamp, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(key, (at, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_here_or_a_write_elsewhere_ends_every_cached_value() {
        let dir = tempfile::tempdir().unwrap();
        let generation = Generation::open(dir.path());
        let cache: ReadCache<String, u32> = ReadCache::new(8);
        let at = generation.stamp().unwrap();
        cache.put("a".into(), at, 1);
        assert_eq!(cache.get("a", generation.stamp().unwrap()), Some(1));
        generation.committed();
        assert_eq!(cache.get("a", generation.stamp().unwrap()), None);

        let at = generation.stamp().unwrap();
        cache.put("a".into(), at, 2);
        mark_external_write(dir.path()).unwrap();
        assert_eq!(cache.get("a", generation.stamp().unwrap()), None);
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let dir = tempfile::tempdir().unwrap();
        let at = Generation::open(dir.path()).stamp().unwrap();
        let cache: ReadCache<u32, u32> = ReadCache::new(2);
        for k in 0..5 {
            cache.put(k, at, k);
        }
        assert_eq!(cache.entries.lock().unwrap().len(), 1);
        assert_eq!(cache.get(&4, at), Some(4));
    }
}
