//! For the benchmark harness (figures T2, T3 and T5 of PERFORMANCE.md) and the tests: the whole console
//! with the Users tab open on a table of any number of users, served in-process by a fake page source
//! that makes rows from their index (so the source itself holds nothing).
//!
//! Frames are drawn as the console's loop draws them ([`draw_frame`] with the shipped options, through the
//! console's own backend) into a writer that counts bytes, and page requests are answered one by one,
//! each answer its own frame, as they arrive from a server.
//!
//! ```no_run
//! use orgdeck::bench::{cursor_moves, moves_across_the_table};
//! // T2: update + draw of every frame of moves across a 100,000-row table at 120x40.
//! let frames = moves_across_the_table(100_000, 120, 40).unwrap();
//! let slowest = frames.iter().map(|f| f.time).max();
//! // T3: bytes written per byte of changed cells, over 500 presses of `j` at 80x24.
//! let frames = cursor_moves(100_000, 80, 24, 500);
//! let bytes: usize = frames.iter().map(|f| f.cost.bytes).sum();
//! let cell_bytes: usize = frames.iter().map(|f| f.cost.cell_bytes).sum();
//! ```
//!
//! `cargo run --release -p orgdeck --example users_table_figures` prints both.

use std::{
    collections::VecDeque,
    io::Write,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Result, bail, ensure};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use orgdeck_shared::{
    Page, Versioned,
    auth::{Me, MeOrg, MeSession, MeUser, OrgRole},
    general::GeneralSettings,
    licensing::{LicensePool, LicenseSummary},
    users::{User, UserQuery, UserStatus},
};
use ratatui::{Terminal, TerminalOptions, Viewport, backend::CrosstermBackend, buffer::Buffer, layout::Rect};
use uuid::Uuid;

use crate::{
    App, AppInit, Command, Msg,
    api::Call,
    backend::GapFill,
    keymap::Keymap,
    runtime::{RunOptions, draw_frame},
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
        unread: 0,
    }
}

/// Answers the fake organization's pages among `cmds` (and what the answers ask next); other requests
/// get answers that leave the tabs loaded.
pub fn serve(app: &mut App, cmds: Vec<Command>, total: usize) {
    let mut queue = cmds;
    while let Some(c) = queue.pop() {
        let Command::Api(call) = c else { continue };
        let Some(msg) = answer(&call, total) else {
            continue;
        };
        queue.extend(app.update(msg));
    }
}

/// What the fake organization of `total` users answers to `call`; `None` for calls it ignores.
pub fn answer(call: &Call, total: usize) -> Option<Msg> {
    use orgdeck_shared::{
        account::endpoints::{MyPasswordPolicy, MySessions},
        api_keys::{ApiKeySettings, endpoints as keys},
        audit::endpoints::Search,
        groups::endpoints::List as ListGroups,
        inventory::endpoints::{GetLicenses, ListApplications},
        password::PasswordPolicy,
        security::{IpRestrictions, SessionSettings, TwoStepSettings},
        settings::endpoints::Get,
        users::{UserQuery, endpoints::List as ListUsers},
    };
    fn empty<T>() -> Page<T> {
        Page {
            items: Vec::new(),
            next_cursor: None,
        }
    }
    fn doc<T>(value: T) -> Versioned<T> {
        Versioned { version: 1, value }
    }
    let c = call.clone();
    Some(if call.is::<ListUsers>() {
        let query: UserQuery = call.query_as().unwrap_or_default();
        Msg::reply::<ListUsers>(c, Ok(fake_page(&query, total)))
    } else if call.is::<Get<GeneralSettings>>() {
        let s = GeneralSettings::new(Uuid::nil(), "Bench Org", Timestamp::UNIX_EPOCH);
        Msg::reply::<Get<GeneralSettings>>(c, Ok(doc(s)))
    } else if call.is::<GetLicenses>() {
        Msg::reply::<GetLicenses>(
            c,
            Ok(LicenseSummary {
                assess: LicensePool::new(10, 1, Vec::new()),
                protect: LicensePool::new(10, 1, Vec::new()),
            }),
        )
    } else if call.is::<ListGroups>() {
        Msg::reply::<ListGroups>(c, Ok(empty()))
    } else if call.is::<ListApplications>() {
        Msg::reply::<ListApplications>(c, Ok(empty()))
    } else if call.is::<Get<PasswordPolicy>>() {
        Msg::reply::<Get<PasswordPolicy>>(c, Ok(doc(PasswordPolicy::default())))
    } else if call.is::<Get<SessionSettings>>() {
        Msg::reply::<Get<SessionSettings>>(c, Ok(doc(SessionSettings::default())))
    } else if call.is::<Get<IpRestrictions>>() {
        Msg::reply::<Get<IpRestrictions>>(c, Ok(doc(IpRestrictions::default())))
    } else if call.is::<Get<TwoStepSettings>>() {
        Msg::reply::<Get<TwoStepSettings>>(c, Ok(doc(TwoStepSettings::default())))
    } else if call.is::<Search>() {
        Msg::reply::<Search>(c, Ok(empty()))
    } else if call.is::<keys::List>() {
        Msg::reply::<keys::List>(c, Ok(empty()))
    } else if call.is::<Get<ApiKeySettings>>() {
        Msg::reply::<Get<ApiKeySettings>>(c, Ok(doc(ApiKeySettings::default())))
    } else if call.is::<MySessions>() {
        Msg::reply::<MySessions>(c, Ok(Vec::new()))
    } else if call.is::<orgdeck_shared::integrations::endpoints::List>() {
        Msg::reply::<orgdeck_shared::integrations::endpoints::List>(c, Ok(Vec::new()))
    } else if call.is::<Get<orgdeck_shared::notifications::NotificationSettings>>() {
        let s = orgdeck_shared::notifications::NotificationSettings::default();
        Msg::reply::<Get<orgdeck_shared::notifications::NotificationSettings>>(c, Ok(doc(s)))
    } else if call.is::<orgdeck_shared::agents::endpoints::ListKeys>() {
        Msg::reply::<orgdeck_shared::agents::endpoints::ListKeys>(c, Ok(empty()))
    } else if call.is::<orgdeck_shared::agents::endpoints::GetOrgKey>() {
        let key = orgdeck_shared::agents::OrgKeyInfo {
            prefix: "od_Bench0".into(),
            issued: false,
            created_at: Timestamp::UNIX_EPOCH,
            rotated_at: Timestamp::UNIX_EPOCH,
            last_used_at: None,
            previous_valid_until: None,
        };
        Msg::reply::<orgdeck_shared::agents::endpoints::GetOrgKey>(c, Ok(key))
    } else if call.is::<orgdeck_shared::servers::endpoints::List>() {
        Msg::reply::<orgdeck_shared::servers::endpoints::List>(c, Ok(empty()))
    } else if call.is::<Get<orgdeck_shared::servers::ServerSettings>>() {
        let s = orgdeck_shared::servers::ServerSettings::default();
        Msg::reply::<Get<orgdeck_shared::servers::ServerSettings>>(c, Ok(doc(s)))
    } else if call.is::<Get<orgdeck_shared::servers::DevelopmentDefaults>>() {
        let s = orgdeck_shared::servers::DevelopmentDefaults::default();
        Msg::reply::<Get<orgdeck_shared::servers::DevelopmentDefaults>>(c, Ok(doc(s)))
    } else if call.is::<Get<orgdeck_shared::servers::QaDefaults>>() {
        let s = orgdeck_shared::servers::QaDefaults::default();
        Msg::reply::<Get<orgdeck_shared::servers::QaDefaults>>(c, Ok(doc(s)))
    } else if call.is::<Get<orgdeck_shared::servers::ProductionDefaults>>() {
        let s = orgdeck_shared::servers::ProductionDefaults::default();
        Msg::reply::<Get<orgdeck_shared::servers::ProductionDefaults>>(c, Ok(doc(s)))
    } else if call.is::<Get<orgdeck_shared::reports::ReportSettings>>() {
        let s = orgdeck_shared::reports::ReportSettings::default();
        Msg::reply::<Get<orgdeck_shared::reports::ReportSettings>>(c, Ok(doc(s)))
    } else if call.is::<Get<orgdeck_shared::scores::ScoreSettings>>() {
        let s = orgdeck_shared::scores::ScoreSettings::default();
        Msg::reply::<Get<orgdeck_shared::scores::ScoreSettings>>(c, Ok(doc(s)))
    } else if call.is::<orgdeck_shared::scores::endpoints::Preview>() {
        let preview = orgdeck_shared::scores::ScorePreview {
            saved_version: 1,
            applications: Vec::new(),
        };
        Msg::reply::<orgdeck_shared::scores::endpoints::Preview>(c, Ok(preview))
    } else if call.is::<orgdeck_shared::inbox::endpoints::List>() {
        let page = orgdeck_shared::inbox::InboxPage {
            items: Vec::new(),
            next_cursor: None,
            unread: 0,
        };
        Msg::reply::<orgdeck_shared::inbox::endpoints::List>(c, Ok(page))
    } else if call.is::<MyPasswordPolicy>() {
        Msg::reply::<MyPasswordPolicy>(c, Ok(PasswordPolicy::default()))
    } else {
        return None;
    })
}

/// What one frame cost on the terminal: every byte written for it (the synchronized-output markers
/// included), and the cells ratatui found changed since the frame before, with the bytes of their text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameCost {
    pub bytes: usize,
    pub cells: usize,
    pub cell_bytes: usize,
}

/// What led to a frame (the loop draws after each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Resize,
    Key(KeyCode),
    /// A page of users arrived.
    PageArrival,
    /// Another answer arrived.
    Reply,
}

/// One frame: its cause, the time of `update` + draw (the answer it delivers is built before the clock
/// starts: that is the server's and the network's work), and its cost on the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub cause: Cause,
    pub time: Duration,
    pub cost: FrameCost,
}

/// A writer that keeps only the count of bytes written to it (shared with whoever holds a clone).
#[derive(Default, Clone)]
pub struct ByteCount(Arc<AtomicUsize>);

impl ByteCount {
    /// The bytes written since the last call.
    pub fn take(&self) -> usize {
        self.0.swap(0, Ordering::Relaxed)
    }
}

impl Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type CountingTerminal = Terminal<GapFill<CrosstermBackend<ByteCount>>>;

/// The console logged in to a fake organization of `rows` users with the Users tab open, drawing through
/// its own backend (crossterm's escape sequences through [`GapFill`]) and the loop's own
/// [`draw_frame`] with the shipped options, into a writer that counts the bytes. Page requests wait in a
/// queue until [`UsersTableBench::settle`] answers them, each answer its own frame, as the loop draws.
pub struct UsersTableBench {
    app: App,
    terminal: CountingTerminal,
    written: ByteCount,
    rows: usize,
    /// The last frame drawn, to tell which cells the next one changes.
    last: Buffer,
    waiting: VecDeque<Call>,
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
    let cmds = app.update(Msg::reply::<orgdeck_shared::auth::endpoints::GetMe>(
        crate::app::me_call(),
        Ok(me()),
    ));
    serve(&mut app, cmds, rows);
    let cmds = app.update(Msg::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE)));
    serve(&mut app, cmds, rows);
    app
}

impl UsersTableBench {
    /// A `width` x `height` terminal on the first row of a table of `rows` users, its first frame drawn.
    pub fn new(rows: usize, width: u16, height: u16) -> Self {
        let area = Rect::new(0, 0, width, height);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let written = ByteCount::default();
        let backend = GapFill::new(CrosstermBackend::new(written.clone()));
        let terminal = Terminal::with_options(backend, options).unwrap_or_else(|_| panic!("a terminal"));
        let mut bench = UsersTableBench {
            app: logged_in_app(rows),
            terminal,
            written,
            rows,
            last: Buffer::empty(area),
            waiting: VecDeque::new(),
        };
        bench.frame(Cause::Resize, Msg::Resize(width, height));
        bench
    }

    /// `update` with `msg` and one frame drawn as the loop draws it; its page requests wait for
    /// [`UsersTableBench::settle`].
    fn frame(&mut self, cause: Cause, msg: Msg) -> Frame {
        let start = Instant::now();
        let cmds = self.app.update(msg);
        self.waiting.extend(cmds.into_iter().filter_map(|c| match c {
            Command::Api(request) => Some(request),
            _ => None,
        }));
        let drawn = draw_frame(
            &mut self.terminal,
            &self.app,
            RunOptions::SHIPPED,
            &mut self.written.clone(),
        )
        .expect("drawing into memory does not fail");
        let time = start.elapsed();
        let buffer = drawn.buffer.clone();
        let changed = self.last.diff(&buffer);
        let cost = FrameCost {
            bytes: self.written.take(),
            cells: changed.len(),
            cell_bytes: changed.iter().map(|(_, _, cell)| cell.symbol().len()).sum(),
        };
        self.last = buffer;
        Frame { cause, time, cost }
    }

    /// One key pressed: its frame.
    pub fn press(&mut self, code: KeyCode) -> Frame {
        let modifiers = if matches!(code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        self.frame(Cause::Key(code), Msg::Key(KeyEvent::new(code, modifiers)))
    }

    /// Answers the waiting requests in the order they were made (and what the answers ask next), each
    /// answer its own frame, pushed to `frames`, until nothing waits.
    pub fn settle(&mut self, frames: &mut Vec<Frame>) {
        while let Some(call) = self.waiting.pop_front() {
            let Some(msg) = answer(&call, self.rows) else {
                continue;
            };
            let cause = if call.is::<orgdeck_shared::users::endpoints::List>() {
                Cause::PageArrival
            } else {
                Cause::Reply
            };
            frames.push(self.frame(cause, msg));
        }
    }

    /// One key and the frames of the pages it asks for, pushed to `frames`.
    pub fn press_and_settle(&mut self, code: KeyCode, frames: &mut Vec<Frame>) {
        let frame = self.press(code);
        frames.push(frame);
        self.settle(frames);
    }

    /// The row under the cursor, and the rows the table holds now.
    pub fn position(&self) -> (usize, usize) {
        let users = self.app.tab::<UsersTab>().expect("the Users tab");
        (users.table.cursor(), users.table.held_rows())
    }

    /// The cursor is on the last row of the whole list.
    pub fn on_last_row(&self) -> bool {
        let users = self.app.tab::<UsersTab>().expect("the Users tab");
        users.table.at_end() && users.table.cursor() + 1 == users.table.known_rows()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// The frames of moves that cross the whole table of `rows` users at `width` x `height` (T2): on a fresh
/// table, `PageDown` until the cursor is on the last row, then `g` back to the first and `G` to the last
/// (pages forgotten on the way are asked for again); then, on another fresh table, `G` from the first row,
/// which follows the pages as they arrive until the end. Page arrivals are frames of their own.
pub fn moves_across_the_table(rows: usize, width: u16, height: u16) -> Result<Vec<Frame>> {
    let mut frames = Vec::new();
    let mut walked = UsersTableBench::new(rows, width, height);
    walked.settle(&mut Vec::new()); // the first page of a fresh table is T1's business, not a move's
    while !walked.on_last_row() {
        let (before, _) = walked.position();
        walked.press_and_settle(KeyCode::PageDown, &mut frames);
        if walked.position().0 <= before {
            bail!("PageDown on row {before} of {rows} did not move the cursor");
        }
    }
    walked.press_and_settle(KeyCode::Char('g'), &mut frames);
    ensure!(walked.position().0 == 0, "g did not go to the first row");
    walked.press_and_settle(KeyCode::Char('G'), &mut frames);
    ensure!(walked.on_last_row(), "G on a walked table did not land on the last row");
    let mut fresh = UsersTableBench::new(rows, width, height);
    fresh.settle(&mut Vec::new());
    fresh.press_and_settle(KeyCode::Char('G'), &mut frames);
    ensure!(
        fresh.on_last_row(),
        "G on a fresh table did not follow the pages to the last row"
    );
    Ok(frames)
}

/// The frames of `moves` presses of `j` from the first row of a fresh table of `rows` users at
/// `width` x `height` (T3), page arrivals included.
pub fn cursor_moves(rows: usize, width: u16, height: u16, moves: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut bench = UsersTableBench::new(rows, width, height);
    bench.settle(&mut Vec::new());
    for _ in 0..moves {
        bench.press_and_settle(KeyCode::Char('j'), &mut frames);
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabs::users::PAGE_SIZE;

    #[test]
    fn a_frame_that_changes_nothing_still_counts_the_synchronized_output_markers() {
        let mut bench = UsersTableBench::new(1_000, 80, 24);
        bench.settle(&mut Vec::new());
        let frame = bench.press(KeyCode::F(12)); // bound to nothing
        let markers = b"\x1b[?2026h\x1b[?2026l".len();
        // What every frame ends with: the cursor hidden, colours and attributes reset.
        let every_frame = b"\x1b[?25l\x1b[39m\x1b[49m\x1b[59m\x1b[0m".len();
        assert_eq!(frame.cost.cells, 0);
        assert_eq!(frame.cost.bytes, markers + every_frame);
    }

    #[test]
    fn moves_across_the_table_walk_it_to_the_last_row_with_its_page_arrivals() {
        let rows = 3_000;
        let frames = moves_across_the_table(rows, 80, 24).unwrap();
        let count = |cause: Cause| frames.iter().filter(|f| f.cause == cause).count();
        // Fewer than 20 rows a PageDown at 80x24, and every page of the users tab arriving on the way.
        assert!(
            count(Cause::Key(KeyCode::PageDown)) >= rows / 20,
            "{}",
            count(Cause::Key(KeyCode::PageDown))
        );
        assert!(
            count(Cause::PageArrival) >= rows / PAGE_SIZE as usize,
            "{}",
            count(Cause::PageArrival)
        );
        assert_eq!(count(Cause::Key(KeyCode::Char('G'))), 2);
        assert_eq!(count(Cause::Key(KeyCode::Char('g'))), 1);
    }

    #[test]
    fn changed_cells_are_counted_in_bytes_of_their_text() {
        let frames = cursor_moves(1_000, 80, 24, 20);
        let cells: usize = frames.iter().map(|f| f.cost.cells).sum();
        let cell_bytes: usize = frames.iter().map(|f| f.cost.cell_bytes).sum();
        assert!(cells > 0);
        // The cursor's `>` and reverse video move over ASCII rows: at least one byte a cell.
        assert!(cell_bytes >= cells);
    }
}
