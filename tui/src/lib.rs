//! orgdeck console: administer an organization from the terminal.
//!
//! The binary is a thin shell over this library, so tests (and benchmarks) drive the same code:
//! [`app::App::update`] with messages and no terminal, [`runtime::run`] with any ratatui backend and
//! event stream, or [`cli::main`] for the whole program.
//!
//! Starting it from a harness: `App::new(AppInit { .. })`, an [`api::ApiClient`] (with `set_token` for a
//! session made beforehand), [`credentials::Credentials::memory`], then
//! `runtime::run(&mut terminal, app, client, credentials, events, RunOptions::default())` with any ratatui
//! backend and any `Stream<Item = io::Result<crossterm::event::Event>>`. The binary with a profile prints
//! nothing before entering the alternate screen; its first frame says "Connecting to URL…" (a stored or
//! `ORGDECK_TOKEN` session) or shows the login box, and the General tab has data once "Created" is on screen.

pub mod api;
pub mod app;
pub mod backend;
/// The in-process measurements (T2, T3) and the fake user pages tests serve; not in the shipped console
/// (the `testkit` feature).
#[cfg(feature = "testkit")]
pub mod bench;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod keymap;
pub mod launch;
pub mod nav;
pub mod runtime;
pub mod tabs;
pub mod terminal;
pub mod theme;
pub mod widgets;

pub use app::{App, AppInit, Command, Msg};
