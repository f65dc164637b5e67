//! The demo organization from `assets/demo.json`, loaded into a fresh data directory.

use std::path::Path;

use crate::clock::Clock;

/// How to log in to the demo organization.
pub struct DemoLogin {
    pub email: String,
    pub password: String,
}

/// Creates the database in `data_dir` (which must hold none yet) with the demo organization.
pub fn seed(data_dir: &Path, clock: &dyn Clock) -> anyhow::Result<DemoLogin> {
    let _ = (data_dir, clock);
    todo!()
}
