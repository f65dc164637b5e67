//! Cross-crate helpers: a real server on loopback with a fresh organization, and the real console
//! binary in a pseudo-terminal. The scenarios in `tests/` and the benchmark harness build on them.

pub mod fixture;
pub mod pty;
