//! For the benchmark harness (figures T2, T3 and T5 of PERFORMANCE.md) and the tests: the whole console
//! with the Users tab open on a table of any number of users, served in-process by a fake page source
//! that makes rows from their index (so the source itself holds nothing).
//!
//! ```no_run
//! use orgdeck::bench::UsersTableBench;
//! // T2: time one call (update + the page requests it makes answered in-process + draw), 120x40.
//! let mut bench = UsersTableBench::new(100_000);
//! bench.cursor_down_and_draw();
//! let (cursor, rows_held) = bench.position();
//! // T3: the same move on the console's real backend writing escape sequences into memory.
//! let mut bytes = UsersTableBench::with_bytes(100_000, 80, 24);
//! let cost = bytes.cursor_down_and_count();
//! let ratio = cost.bytes as f64 / cost.cells as f64;
//! ```
//!
//! `cargo run --release -p orgdeck --example users_table_figures` prints all three figures.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use orgdeck_shared::{
    Page, Versioned,
    auth::{Me, MeOrg, MeSession, MeUser, OrgRole},
    general::GeneralSettings,
    licensing::{LicensePool, LicenseSummary},
    users::{User, UserQuery, UserStatus},
};
use ratatui::{
    Terminal, TerminalOptions, Viewport,
    backend::{Backend, CrosstermBackend, TestBackend},
    buffer::Buffer,
    layout::Rect,
};
use uuid::Uuid;

use crate::{
    App, AppInit, Command, Msg,
    api::{Reply, Request},
    backend::GapFill,
    keymap::Keymap,
    tabs::UsersTab,
    theme::{Theme, ThemeKind},
};

const FIRST: [&str; 16] = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kenji", "Lena", "Mateo",
    "Nadia", "Omar", "Priya",
];
const LAST: [&str; 16] = [
    "Andersen",
    "Baptiste",
    "Castillo",
    "Demir",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreno",
    "Nakamura",
    "Okafor",
    "Petrov",
];

/// User number `i` of the fake organization (the index is the list's order; names vary like real ones).
pub fn fake_user(i: usize) -> User {
    let statuses = [
        UserStatus::Active,
        UserStatus::Active,
        UserStatus::Active,
        UserStatus::Locked,
        UserStatus::Disabled,
    ];
    let roles = [
        OrgRole::View,
        OrgRole::Edit,
        OrgRole::View,
        OrgRole::RulesAdmin,
        OrgRole::Admin,
    ];
    let at = Timestamp::from_second(1_790_000_000 + (i as i64 * 7_919) % 9_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    let (first, last) = (FIRST[(i * 7) % FIRST.len()], LAST[(i / 3 + i * 5) % LAST.len()]);
    User {
        id: Uuid::from_u128(i as u128 + 1),
        email: format!("user{i:06}.{}@bench.test", last.to_lowercase()),
        first_name: first.into(),
        last_name: last.into(),
        default_group: roles[i % roles.len()],
        groups: Vec::new(),
        enabled: statuses[i % statuses.len()] != UserStatus::Disabled,
        api_only: false,
        status: statuses[i % statuses.len()],
        last_login_at: (!i.is_multiple_of(7)).then_some(at),
        last_login_ip: (!i.is_multiple_of(7)).then(|| format!("10.{}.{}.{}", i % 200, (i / 7) % 250, (i / 3) % 250)),
        failed_attempts: (i % 4) as u32,
        two_step_enabled: i.is_multiple_of(3),
        created_at: Timestamp::UNIX_EPOCH,
        version: 1,
    }
}

/// A page of the fake organization of `total` users, as the server would answer `query` (the cursor is
/// the index of the last row before; `q` matches the start of the email).
pub fn fake_page(query: &UserQuery, total: usize) -> Page<User> {
    let from = query
        .cursor
        .as_ref()
        .and_then(|c| c.parse::<usize>().ok())
        .map_or(0, |c| c + 1);
    let limit = query.limit.unwrap_or(50) as usize;
    let matches = |i: usize| {
        let u = fake_user(i);
        query.q.as_ref().is_none_or(|q| u.email.starts_with(q.as_str())) && query.status.is_none_or(|s| s == u.status)
    };
    let mut items = Vec::with_capacity(limit);
    let mut i = from;
    while i < total && items.len() < limit {
        if matches(i) {
            items.push((i, fake_user(i)));
        }
        i += 1;
    }
    let more = (i..total).any(matches);
    Page {
        next_cursor: if more {
            items.last().map(|(i, _)| i.to_string())
        } else {
            None
        },
        items: items.into_iter().map(|(_, u)| u).collect(),
    }
}

fn me() -> Me {
    let at: Timestamp = "2030-01-01T00:00:00Z".parse().expect("a timestamp");
    Me {
        user: MeUser {
            id: Uuid::nil(),
            email: "admin@bench.test".into(),
            first_name: "Bench".into(),
            last_name: "Admin".into(),
        },
        org: MeOrg {
            id: Uuid::nil(),
            name: "Bench Org".into(),
        },
        role: OrgRole::Admin,
        session: Some(MeSession {
            expires_at: at,
            idle_expires_at: at,
        }),
        api_key: None,
        client_ip: "127.0.0.1".into(),
        must_change_password: false,
        two_step: Default::default(),
    }
}

/// Answers the fake organization's pages among `cmds` (and what the answers ask next); other requests
/// get answers that leave the tabs loaded.
pub fn serve(app: &mut App, cmds: Vec<Command>, total: usize) {
    let mut queue = cmds;
    while let Some(c) = queue.pop() {
        let Command::Api(request) = c else { continue };
        let reply = match &request {
            Request::ListUsers { query, .. } => Reply::Users(Ok(fake_page(query, total))),
            Request::GetGeneral => {
                let s = GeneralSettings::new(Uuid::nil(), "Bench Org", Timestamp::UNIX_EPOCH);
                Reply::General(Ok(Versioned { version: 1, value: s }))
            }
            Request::GetLicenses => Reply::Licenses(Ok(LicenseSummary {
                assess: LicensePool::new(10, 1, Vec::new()),
                protect: LicensePool::new(10, 1, Vec::new()),
            })),
            Request::ListGroups => Reply::Groups(Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            })),
            Request::ListApplications => Reply::Applications(Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            })),
            Request::GetPasswordPolicy => Reply::PasswordPolicy(Ok(Default::default())),
            Request::GetSecurity(area) => Reply::Security(Ok(Versioned {
                version: 1,
                value: crate::api::SecurityDoc::default_of(*area),
            })),
            Request::SearchAudit { .. } => Reply::Audit(Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            })),
            Request::ListApiKeys { .. } => Reply::ApiKeys(Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            })),
            Request::GetApiKeySettings => Reply::ApiKeySettings(Ok(Versioned {
                version: 1,
                value: Default::default(),
            })),
            _ => continue,
        };
        queue.extend(app.update(Msg::Reply { request, reply }));
    }
}

/// What one cursor move cost on the terminal: bytes written, and cells that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveCost {
    pub bytes: usize,
    pub cells: usize,
}

/// A writer that keeps what was written to it (shared with whoever holds a clone).
#[derive(Default, Clone)]
pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("sink lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The console logged in to a fake organization of `rows` users, with the Users tab open.
pub struct UsersTableBench<B: Backend = TestBackend> {
    pub app: App,
    pub terminal: Terminal<B>,
    rows: usize,
    last: Buffer,
}

fn logged_in_app(rows: usize) -> App {
    let mut app = App::new(AppInit {
        profile: "bench".into(),
        server: "http://bench.invalid".into(),
        user: "admin@bench.test".into(),
        read_only: false,
        keymap: Keymap::default(),
        theme: Theme::new(ThemeKind::Color256),
        log_path: None,
        has_token: true,
        notices: Vec::new(),
    });
    let cmds = app.start();
    serve(&mut app, cmds, rows);
    let cmds = app.update(Msg::Reply {
        request: Request::Me,
        reply: Reply::Me(Ok(me())),
    });
    serve(&mut app, cmds, rows);
    let cmds = app.update(Msg::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE)));
    serve(&mut app, cmds, rows);
    app
}

impl UsersTableBench<TestBackend> {
    /// At 120x40 on ratatui's `TestBackend` (T2).
    pub fn new(rows: usize) -> Self {
        Self::with_backend(rows, TestBackend::new(120, 40), 120, 40)
    }
}

impl UsersTableBench<GapFill<CrosstermBackend<Sink>>> {
    /// On the console's real backend (crossterm's escape sequences through [`GapFill`]) writing into
    /// memory, to count bytes (T3).
    pub fn with_bytes(rows: usize, width: u16, height: u16) -> BytesBench {
        let sink = Sink::default();
        let bench = Self::with_backend(rows, GapFill::new(CrosstermBackend::new(sink.clone())), width, height);
        BytesBench { bench, written: sink.0 }
    }
}

/// [`UsersTableBench`] on a terminal that counts the bytes it writes.
pub struct BytesBench {
    pub bench: UsersTableBench<GapFill<CrosstermBackend<Sink>>>,
    written: Arc<Mutex<Vec<u8>>>,
}

impl BytesBench {
    /// One cursor move and draw; what it wrote and how many cells changed.
    pub fn cursor_down_and_count(&mut self) -> MoveCost {
        let before = self.bench.last.clone();
        self.written.lock().expect("sink lock").clear();
        self.bench.step();
        self.bench.draw();
        let cells = before.diff(&self.bench.last).len();
        let bytes = self.written.lock().expect("sink lock").len();
        MoveCost { bytes, cells }
    }

    /// What the last move wrote to the terminal.
    pub fn last_bytes(&self) -> Vec<u8> {
        self.written.lock().expect("sink lock").clone()
    }
}

impl<B: Backend> UsersTableBench<B> {
    fn with_backend(rows: usize, backend: B, width: u16, height: u16) -> Self {
        let area = Rect::new(0, 0, width, height);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let terminal = Terminal::with_options(backend, options).unwrap_or_else(|_| panic!("a terminal"));
        let mut bench = UsersTableBench {
            app: logged_in_app(rows),
            terminal,
            rows,
            last: Buffer::empty(area),
        };
        bench.app.update(Msg::Resize(width, height));
        bench.draw();
        bench
    }

    fn step(&mut self) {
        let cmds = self
            .app
            .update(Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)));
        if !cmds.is_empty() {
            serve(&mut self.app, cmds, self.rows);
        }
    }

    fn draw(&mut self) {
        let app = &self.app;
        if let Ok(frame) = self.terminal.draw(|f| app.view(f)) {
            self.last = frame.buffer.clone();
        }
    }

    /// One `j`: `update`, the page requests it makes answered in-process, and one draw.
    pub fn cursor_down_and_draw(&mut self) {
        self.step();
        let app = &self.app;
        let _ = self.terminal.draw(|f| app.view(f));
    }

    /// The row under the cursor, and the rows the table holds now.
    pub fn position(&self) -> (usize, usize) {
        let users = self.app.tab::<UsersTab>().expect("the Users tab");
        (users.table.cursor(), users.table.held_rows())
    }

    /// Asks the table to go to the last row (loading every page on the way, as `G` does).
    pub fn go_to_end(&mut self) {
        let cmds = self
            .app
            .update(Msg::Key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        serve(&mut self.app, cmds, self.rows);
        self.draw();
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
}
