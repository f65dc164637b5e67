//! An answered write is on the disk, not only in the page cache: it survives a power loss. After each
//! `PUT settings/general` answered 200, the kernel is asked (Linux `cachestat`, 6.5 and later) how many
//! pages of the database's write-ahead log are still dirty or being written back; a commit that was synced
//! before the answer leaves none.
#![cfg(target_os = "linux")]

mod common;

use std::{fs::File, os::fd::AsRawFd, path::Path};

use common::*;
use orgdeck_server::store::sqlite::db_path;
use orgdeck_shared::{Versioned, general::GeneralSettings, routes};
use reqwest::StatusCode;

/// `cachestat(2)`: the same number on every architecture.
const SYS_CACHESTAT: libc::c_long = 451;

#[repr(C)]
struct CachestatRange {
    off: u64,
    /// 0: to the end of the file.
    len: u64,
}

#[repr(C)]
#[derive(Default)]
struct Cachestat {
    nr_cache: u64,
    nr_dirty: u64,
    nr_writeback: u64,
    nr_evicted: u64,
    nr_recently_evicted: u64,
}

/// Pages of `path` in the page cache that are not on the disk yet: dirty, or being written back.
fn pages_not_on_disk(path: &Path) -> u64 {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let range = CachestatRange { off: 0, len: 0 };
    let mut stat = Cachestat::default();
    // SAFETY: cachestat reads `range` and writes one `Cachestat` (the kernel's `struct cachestat`, five
    // u64) into `stat`; both outlive the call, and the descriptor is open for its duration.
    let r = unsafe {
        libc::syscall(
            SYS_CACHESTAT,
            file.as_raw_fd(),
            &range as *const CachestatRange,
            &mut stat as *mut Cachestat,
            0 as libc::c_uint,
        )
    };
    assert_eq!(
        r,
        0,
        "cachestat({}) failed: {} (this test needs Linux 6.5 or later)",
        path.display(),
        std::io::Error::last_os_error()
    );
    stat.nr_dirty + stat.nr_writeback
}

#[tokio::test]
async fn every_answered_settings_write_is_on_the_disk_before_the_answer() {
    let s = TestServer::start_on_sqlite().await;
    let token = s.admin_token().await;
    let resp = s.get(&routes::settings("general"), &token).await;
    let mut doc: Versioned<GeneralSettings> = resp.json().await.unwrap();
    let wal = db_path(s.dir.path()).with_extension("db-wal");
    for i in 0..10 {
        doc.value.name = format!("Acme {i}");
        let resp = s
            .put_general(&token, Some(doc.version), &serde_json::to_value(&doc.value).unwrap())
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "write {i}");
        doc = resp.json().await.unwrap();
        // Checked right after the answer, long before the kernel's own writeback (30 s by default).
        let pending = pages_not_on_disk(&wal);
        assert_eq!(
            pending, 0,
            "write {i} was answered 200 while {pending} pages of the WAL were only in memory (lost on power loss)"
        );
    }
}
