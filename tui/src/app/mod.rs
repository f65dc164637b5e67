//! The console's state and the one place it changes: `App::update(msg) -> Vec<Command>`. `update` does no
//! I/O: commands are performed by the runner, and their results come back as messages.

mod keys;
pub mod login;
mod nav;
mod view;

use std::time::Duration;

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{EmailCodeSent, LoginResponse, Me, Secret, endpoints::GetMe},
    endpoint::Access,
    format::DateTimeStyle,
    general::GeneralSettings,
};

pub use login::LoginDialog;
pub use nav::JumpPrompt;
pub use view::{MIN_HEIGHT, MIN_WIDTH};

use crate::{
    api::{Answer, Call, Owner, needs_login},
    keymap::{Action, Keymap},
    nav::Area,
    tabs::{
        self, Effects, Tab, TabCtx,
        security::{Enrolment, enrolment::Outcome},
    },
    theme::Theme,
    widgets::{Connection, Dialog, Help, LogEntry, Report, Toast, ToastLevel},
};

/// The answers of the console's own calls (logging in, who the user is).
#[derive(Debug, Clone, PartialEq)]
pub enum AppAnswer {
    /// Boxed: a `Me` is several times the size of the other answers.
    Me(Result<Box<Me>, ApiError>),
    Login(Result<LoginResponse, ApiError>),
    /// A code for the login challenge is on its way by email.
    MfaEmail(Result<EmailCodeSent, ApiError>),
}

/// `GET me`, answered to the console.
pub fn me_call() -> Call {
    Call::of::<GetMe, _>((), |result| AppAnswer::Me(result.map(Box::new))).label("checking the session")
}

/// Everything that can happen to the console.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal changed size (columns, rows).
    Resize(u16, u16),
    /// The spinner advances (sent only while a request runs).
    Tick,
    ToastExpired(u64),
    /// A call finished: its typed answer, which the call's function turns into its owner's message.
    Answer {
        call: Call,
        result: Result<Answer, ApiError>,
    },
    /// The logout the runner sent finished.
    LoggedOut(Result<(), ApiError>),
    /// A logout the server could not be reached for was tried again, and the server answered.
    PreviousLogout(Result<(), ApiError>),
    /// The live-update stream said something.
    Stream(crate::api::StreamEvent),
    /// The live-update stream ended (the server went away, or the session).
    StreamEnded(ApiError),
    /// Time to open the live-update stream again.
    Reconnect,
    /// The session token was stored; a warning when it had to fall back to the file.
    TokenStored {
        warning: Option<String>,
    },
    /// SIGTERM or SIGHUP: leave now, restoring the terminal.
    Interrupt,
    /// A tab's timer went off (a debounced search).
    Timer {
        tab: usize,
        name: &'static str,
        token: u64,
    },
}

impl Msg {
    /// The answer `result` to `call` of `E`, as the runner sends it (tests and benchmarks answer calls
    /// with this; it panics when `call` is not a call of `E`).
    pub fn reply<E: orgdeck_shared::endpoint::Endpoint>(call: Call, result: Result<E::Response, ApiError>) -> Msg
    where
        E::Response: Send + Sync,
    {
        assert!(
            call.is::<E>(),
            "{call:?} is not a call of {}",
            std::any::type_name::<E>()
        );
        Msg::Answer {
            call,
            result: result.map(Answer::new),
        }
    }
}

/// A side effect for the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Api(Call),
    /// Use this session token from now on and store it for the next start.
    UseToken(Secret),
    /// The session is gone: forget the stored token.
    ForgetToken,
    /// Log out: `POST auth/logout` with the current token, which the client and the store then forget.
    /// The answer comes back as [`Msg::LoggedOut`]; answers to calls sent before it are dropped, so
    /// nothing of the session that ended reaches the console.
    Logout,
    /// Send `msg` back after `delay` (toast expiry: a timer exists only while a toast is shown).
    After {
        delay: Duration,
        msg: Box<Msg>,
    },
    /// Like `After`, but one timer per key: a new one replaces (cancels) the pending one, so a timer
    /// exists only while something waits for it.
    Timer {
        key: (usize, &'static str),
        delay: Duration,
        msg: Box<Msg>,
    },
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(Secret),
    /// Follow the live-update stream from after `after` (none: from now), until it ends.
    Follow {
        after: Option<i64>,
    },
}

/// How the app starts: the profile it talks to and the user's preferences.
pub struct AppInit {
    pub profile: String,
    pub server: String,
    /// The profile's user, prefilled in the login dialog.
    pub user: String,
    pub read_only: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub log_path: Option<String>,
    /// A stored session token exists: check it with `GET me` instead of asking to log in.
    pub has_token: bool,
    /// Problems to show once (bad key overrides).
    pub notices: Vec<String>,
}

pub struct App {
    pub profile: String,
    pub server: String,
    pub user: String,
    pub read_only: bool,
    pub me: Option<Me>,
    /// A `GET me` to refresh the unread count is on its way (one at a time, however many events arrive).
    unread_refresh: bool,
    /// The registry the tabs are made from ([`tabs::AREAS`]; a test may bring more areas).
    pub areas: &'static [Area],
    pub tabs: Vec<Box<dyn Tab>>,
    pub active: usize,
    pub login: Option<LoginDialog>,
    /// The two-step enrolment the organization requires (`GET me` said `must_enrol`): it comes before
    /// the tabs, which load once it is done.
    pub enrolment: Option<Enrolment>,
    pub dialog: Option<Dialog>,
    pub help: Option<Help>,
    /// The `:` prompt.
    pub jump: Option<JumpPrompt>,
    /// The list of every area, grouped, is shown beside the tab (toggled by its key).
    pub sidebar: bool,
    /// The go key was pressed: the next key names the area (the list of areas shows meanwhile).
    pub go_pending: bool,
    /// The highlighted area of the list of areas when it is drawn over the tab (too narrow to sit beside
    /// it) and takes the keys: a tab index.
    pub sidebar_cursor: usize,
    /// The terminal's width, which decides whether the list of areas fits beside the tab.
    pub columns: u16,
    /// The terminal is below 80x24: only a message is drawn, and keys wait (an unseen dialog would
    /// otherwise answer them).
    pub too_small: bool,
    pub toasts: Vec<Toast>,
    /// Every message of the session with its time, oldest first (`:messages`); bounded.
    pub messages: std::collections::VecDeque<LogEntry>,
    /// The `:messages` view, when open.
    pub message_log: Option<Report>,
    /// What time it is (tests fix it).
    pub clock: fn() -> jiff::Timestamp,
    pub connection: Connection,
    pub keymap: Keymap,
    pub theme: Theme,
    pub dates: DateTimeStyle,
    pub log_path: Option<String>,
    /// Rows the help overlay can show (the terminal's height less its frame), for scrolling.
    pub viewport_rows: usize,
    /// Calls refused for an expired session, sent again after the next login.
    pub retry: Vec<Call>,
    /// The calls a reload (`r`) sent that are not back yet: "reloaded" once they all are.
    reloading: Vec<Call>,
    /// The last live update seen (a reconnecting stream resumes after it).
    last_seq: Option<i64>,
    /// The live-update stream is open or being opened.
    following: bool,
    /// Reconnections tried since the stream last opened (the backoff grows with them).
    reconnects: u32,
    /// The calls sent and not answered yet, oldest first.
    running: Vec<(Call, std::time::Instant)>,
    /// The logout the runner sends is not answered yet.
    logging_out: bool,
    spinner: usize,
    next_toast: u64,
    loaded: bool,
    has_token: bool,
    notices: Vec<String>,
    quit: bool,
}

/// The longest wait between two tries to reconnect the live-update stream.
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// A call answered sooner than this shows no spinner (it would only flicker).
const SPINNER_AFTER: std::time::Duration = std::time::Duration::from_millis(150);

/// Messages `:messages` keeps; older ones give way.
const MESSAGES_KEPT: usize = 1_000;

/// The status line's words while the runner logs out.
const LOGGING_OUT: &str = "logging out";

const TOAST_TIME: Duration = Duration::from_secs(6);
const STICKY_TOAST_TIME: Duration = Duration::from_secs(20);

impl App {
    pub fn new(init: AppInit) -> App {
        App {
            profile: init.profile,
            server: init.server,
            user: init.user,
            read_only: init.read_only,
            me: None,
            unread_refresh: false,
            areas: tabs::AREAS,
            tabs: tabs::all(),
            active: 0,
            login: None,
            enrolment: None,
            dialog: None,
            help: None,
            jump: None,
            sidebar: false,
            go_pending: false,
            sidebar_cursor: 0,
            columns: MIN_WIDTH,
            too_small: false,
            toasts: Vec::new(),
            messages: std::collections::VecDeque::new(),
            message_log: None,
            clock: jiff::Timestamp::now,
            connection: Connection::Connecting,
            keymap: init.keymap,
            theme: init.theme,
            dates: DateTimeStyle::default(),
            log_path: init.log_path,
            viewport_rows: 20,
            retry: Vec::new(),
            reloading: Vec::new(),
            last_seq: None,
            following: false,
            reconnects: 0,
            running: Vec::new(),
            logging_out: false,
            spinner: 0,
            next_toast: 1,
            loaded: false,
            has_token: init.has_token,
            notices: init.notices,
            quit: false,
        }
    }

    /// The first commands: check a stored session, or open the login screen.
    pub fn start(&mut self) -> Vec<Command> {
        let mut cmds = Vec::new();
        for notice in std::mem::take(&mut self.notices) {
            self.toast(ToastLevel::Warning, notice, true, &mut cmds);
        }
        if self.has_token {
            self.connection = Connection::Connecting;
            cmds.push(self.request(me_call()));
        } else {
            self.connection = Connection::LoggedOut;
            self.login = Some(LoginDialog::new(&self.user, false));
        }
        cmds
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether something animates (a request runs): the runner keeps a timer only then.
    pub fn animating(&self) -> bool {
        !self.running.is_empty() || self.logging_out
    }

    /// What runs, once it has run long enough to be worth saying (a quick answer shows nothing).
    pub fn busy(&self) -> Option<&'static str> {
        let slow = self
            .running
            .iter()
            .rev()
            .find(|(_, since)| since.elapsed() >= SPINNER_AFTER);
        match slow {
            Some((call, _)) => Some(call.label),
            None if self.logging_out => Some(LOGGING_OUT),
            None => None,
        }
    }

    /// The calls sent and not answered yet, oldest first (tests answer them).
    pub fn running(&self) -> impl DoubleEndedIterator<Item = &Call> + '_ {
        self.running.iter().map(|(c, _)| c)
    }

    pub fn spinner(&self) -> usize {
        self.spinner
    }

    pub fn active_tab(&self) -> &dyn Tab {
        self.tabs[self.active].as_ref()
    }

    /// The tab of type `T` (for tests and benchmarks).
    pub fn tab<T: 'static>(&self) -> Option<&T> {
        self.tabs
            .iter()
            .find_map(|t| t.as_any().and_then(|a| a.downcast_ref::<T>()))
    }

    pub fn is_dirty(&self) -> bool {
        self.tabs.iter().any(|t| t.is_dirty()) || self.enrolment.as_ref().is_some_and(Enrolment::asks_before_closing)
    }

    /// What the tabs need to know of the console.
    pub fn tab_ctx(&self) -> TabCtx<'_> {
        TabCtx {
            keymap: &self.keymap,
            theme: &self.theme,
            dates: &self.dates,
            read_only: self.read_only,
            org_name: self.me.as_ref().map(|m| m.org.name.as_str()).unwrap_or(""),
            server: &self.server,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        let mut cmds = Vec::new();
        match msg {
            Msg::Key(_) if self.too_small => {}
            // Esc and the next key can reach the terminal in one read (over SSH, or typed fast), which
            // reads as Alt and that key. No action is bound to Alt: it is Esc, then the key.
            Msg::Key(key)
                if key.modifiers == crossterm::event::KeyModifiers::ALT
                    && matches!(key.code, crossterm::event::KeyCode::Char(_)) =>
            {
                let esc = KeyEvent::new(crossterm::event::KeyCode::Esc, crossterm::event::KeyModifiers::NONE);
                self.on_key(esc, &mut cmds);
                let plain = KeyEvent::new(key.code, crossterm::event::KeyModifiers::NONE);
                self.on_key(plain, &mut cmds);
            }
            Msg::Key(key) => self.on_key(key, &mut cmds),
            Msg::Resize(columns, rows) => {
                self.too_small = columns < MIN_WIDTH || rows < MIN_HEIGHT;
                // Beside the tab the list follows the current area; over it, from there.
                if !self.sidebar_is_drawer() {
                    self.sidebar_cursor = self.active;
                }
                self.columns = columns;
                self.viewport_rows = rows.saturating_sub(4) as usize;
            }
            Msg::Tick => self.spinner = self.spinner.wrapping_add(1),
            Msg::ToastExpired(id) => self.toasts.retain(|t| t.id != id),
            Msg::Answer { call, result } => self.on_answer(call, result, &mut cmds),
            Msg::LoggedOut(result) => self.logged_out(result, &mut cmds),
            Msg::PreviousLogout(result) => {
                let (level, text) = match result {
                    // Ended now, or already gone (expired, or ended elsewhere): either way it is over.
                    Ok(()) => (
                        ToastLevel::Info,
                        "The server is back: your previous session there is ended".to_owned(),
                    ),
                    Err(e) if needs_login(&e) => (
                        ToastLevel::Info,
                        "The server is back: your previous session there is ended".to_owned(),
                    ),
                    Err(e) => (
                        ToastLevel::Warning,
                        format!(
                            "The server did not end your previous session ({}); it expires by itself",
                            e.message
                        ),
                    ),
                };
                self.tell_logged_out(level, text, &mut cmds);
            }
            Msg::Stream(event) => self.on_stream(event, &mut cmds),
            Msg::StreamEnded(e) => self.stream_ended(e, &mut cmds),
            Msg::Reconnect => self.follow(&mut cmds),
            Msg::TokenStored { warning } => {
                if let Some(w) = warning {
                    self.toast(ToastLevel::Warning, w, true, &mut cmds);
                }
            }
            Msg::Interrupt => self.quit = true,
            Msg::Timer { tab, name, token } => {
                if tab < self.tabs.len() {
                    self.with_tab(tab, &mut cmds, |t, ctx, fx| t.timer(name, token, ctx, fx));
                }
            }
        }
        cmds
    }

    /// A call command, counted so the spinner runs until its answer.
    fn request(&mut self, call: Call) -> Command {
        self.running.push((call.clone(), std::time::Instant::now()));
        Command::Api(call)
    }

    fn toast(&mut self, level: ToastLevel, text: impl Into<String>, sticky: bool, cmds: &mut Vec<Command>) {
        let id = self.next_toast;
        self.next_toast += 1;
        let text = text.into();
        if self.messages.len() == MESSAGES_KEPT {
            self.messages.pop_front();
        }
        self.messages.push_back(LogEntry {
            at: (self.clock)(),
            level,
            text: text.clone(),
        });
        self.toasts.push(Toast {
            id,
            level,
            text,
            sticky,
        });
        let delay = if sticky { STICKY_TOAST_TIME } else { TOAST_TIME };
        cmds.push(Command::After {
            delay,
            msg: Box::new(Msg::ToastExpired(id)),
        });
    }

    /// Runs `f` on a tab with the console's context, then turns its effects into commands.
    fn with_tab(&mut self, index: usize, cmds: &mut Vec<Command>, f: impl FnOnce(&mut dyn Tab, &TabCtx, &mut Effects)) {
        let mut fx = Effects::default();
        {
            let ctx = TabCtx {
                keymap: &self.keymap,
                theme: &self.theme,
                dates: &self.dates,
                read_only: self.read_only,
                org_name: self.me.as_ref().map(|m| m.org.name.as_str()).unwrap_or(""),
                server: &self.server,
            };
            f(self.tabs[index].as_mut(), &ctx, &mut fx);
        }
        self.apply(index, fx, cmds);
    }

    fn apply(&mut self, tab: usize, mut fx: Effects, cmds: &mut Vec<Command>) {
        for (name, delay, token) in fx.timers.drain(..) {
            cmds.push(Command::Timer {
                key: (tab, name),
                delay,
                msg: Box::new(Msg::Timer { tab, name, token }),
            });
        }
        self.apply_effects(Owner::Tab(tab), fx, cmds);
    }

    /// Runs `f` on the required enrolment; once it closes (the backup codes were dismissed), `GET me`
    /// again, whose answer loads the tabs.
    fn with_enrolment(
        &mut self,
        cmds: &mut Vec<Command>,
        f: impl FnOnce(&mut Enrolment, &TabCtx, &mut Effects) -> Outcome,
    ) {
        let Some(mut enrolment) = self.enrolment.take() else {
            return;
        };
        let mut fx = Effects::default();
        if f(&mut enrolment, &self.tab_ctx(), &mut fx) == Outcome::Stay {
            self.enrolment = Some(enrolment);
        } else {
            let me = self.request(me_call());
            cmds.push(me);
        }
        self.apply_effects(Owner::Enrolment, fx, cmds);
    }

    /// A component's effects, but its timers (only tabs have those). Its calls are stamped with who
    /// gets their answers; its broadcasts reach the console and every other tab.
    fn apply_effects(&mut self, owner: Owner, fx: Effects, cmds: &mut Vec<Command>) {
        if let Some(text) = fx.copy {
            cmds.push(Command::Copy(text));
        }
        for mut call in fx.calls {
            call.owner = owner;
            let c = self.request(call);
            cmds.push(c);
        }
        if fx.password_changed
            && let Some(me) = self.me.as_mut()
        {
            me.must_change_password = false;
        }
        if fx.refresh_me {
            let c = self.request(me_call());
            cmds.push(c);
        }
        if fx.logout {
            self.logout(cmds);
            return;
        }
        for value in fx.broadcasts {
            if let Some(general) = value.downcast_ref::<GeneralSettings>() {
                // Dates everywhere follow the saved settings, and the header the saved name.
                self.dates = DateTimeStyle::of(general);
                if let Some(me) = self.me.as_mut() {
                    me.org.name = general.name.clone();
                }
            }
            for i in 0..self.tabs.len() {
                if owner != Owner::Tab(i) {
                    self.with_tab(i, cmds, |t, _, fx| t.broadcast(value.as_ref(), fx));
                }
            }
        }
        for (level, text) in fx.toasts {
            self.toast(level, text, false, cmds);
        }
        if let Some(d) = fx.confirm {
            self.dialog = Some(d);
        }
        if let Some(show) = fx.open {
            let (area, section) = show.place();
            if let Some(tab) = self.areas.iter().position(|a| a.id == area) {
                self.go_to(crate::nav::Place {
                    tab,
                    section: Some(section),
                });
                let value: std::sync::Arc<dyn std::any::Any + Send + Sync> = std::sync::Arc::new(show);
                self.with_tab(tab, cmds, |t, _, fx| t.broadcast(value.as_ref(), fx));
            }
        }
    }

    fn on_answer(&mut self, call: Call, result: Result<Answer, ApiError>, cmds: &mut Vec<Command>) {
        if let Some(i) = self.running.iter().position(|(c, _)| *c == call) {
            self.running.remove(i);
        }
        if let Some(i) = self.reloading.iter().position(|c| *c == call) {
            if result.is_err() {
                // The tab says what failed; no "reloaded".
                self.reloading.clear();
            } else {
                self.reloading.remove(i);
                if self.reloading.is_empty() {
                    self.toast(ToastLevel::Info, "Reloaded", false, cmds);
                }
            }
        }
        // Logging in says nothing of a session yet.
        let outside_session = call.access == Access::Public;
        match &result {
            Err(e) if e.code == ErrorCode::Network => self.connection = Connection::Offline,
            Err(e) if needs_login(e) => {}
            _ if !outside_session => self.connection = Connection::Online,
            _ => {}
        }
        match &result {
            Err(e) if needs_login(e) && !outside_session => self.session_lost(&call, e, cmds),
            Err(e) if e.code == ErrorCode::PasswordChangeRequired => {
                // An admin forced a reset meanwhile: `GET me` says so, and the change opens.
                if !self.running.iter().any(|(c, _)| c.is::<GetMe>()) {
                    let c = self.request(me_call());
                    cmds.push(c);
                }
            }
            Err(e) => tracing::warn!("{}: {:?} {}", call.label, e.code, e.message),
            Ok(_) => {}
        }
        let msg = call.finish(result.as_ref());
        match call.owner {
            Owner::App => match msg.downcast::<AppAnswer>() {
                Ok(answer) => self.on_app_answer(&call, *answer, cmds),
                Err(_) => tracing::error!("{}: an answer the console does not know", call.label),
            },
            Owner::Enrolment => self.with_enrolment(cmds, |e, _, fx| e.answer(msg, fx)),
            Owner::Tab(i) if i < self.tabs.len() => self.with_tab(i, cmds, |t, ctx, fx| t.answer(msg, ctx, fx)),
            Owner::Tab(_) => {}
        }
    }

    fn logged_out(&mut self, result: Result<(), ApiError>, cmds: &mut Vec<Command>) {
        self.logging_out = false;
        if let Err(e) = result
            && !needs_login(&e)
        {
            let text = if e.code == ErrorCode::Network {
                self.connection = Connection::Offline;
                "The server cannot be reached: your session there will be ended when the server \
                 is back (while orgdeck runs; else it expires by itself)"
                    .to_owned()
            } else {
                format!(
                    "The server did not end the session ({}); its token is forgotten here",
                    e.message
                )
            };
            self.tell_logged_out(ToastLevel::Warning, text, cmds);
        }
    }

    /// What became of a logout: on the login screen when it is up (toasts do not show there), and in
    /// the message log either way.
    fn tell_logged_out(&mut self, level: ToastLevel, text: String, cmds: &mut Vec<Command>) {
        if let Some(login) = self.login.as_mut() {
            login.notice = Some(format!("You are logged out. {text}."));
        }
        self.toast(level, text, false, cmds);
    }

    fn on_app_answer(&mut self, call: &Call, answer: AppAnswer, cmds: &mut Vec<Command>) {
        match answer {
            AppAnswer::Login(result) => self.on_login(result, cmds),
            AppAnswer::MfaEmail(result) => {
                if let Some(d) = self.login.as_mut() {
                    d.email_sent(&result);
                }
            }
            AppAnswer::Me(Ok(me)) => {
                let me = *me;
                self.unread_refresh = false;
                self.me = Some(me.clone());
                self.user = me.user.email.clone();
                if !self.loaded && me.two_step.must_enrol {
                    // The server refuses everything else until then: the tabs wait.
                    if self.enrolment.is_none() {
                        let mut fx = Effects::default();
                        self.enrolment = Some(Enrolment::required(
                            &me.two_step.available,
                            &me.two_step.enrolled,
                            &mut fx,
                        ));
                        self.apply_effects(Owner::Enrolment, fx, cmds);
                    }
                    return;
                }
                if !self.loaded && me.must_change_password {
                    // The server refuses everything but the change until then: only the Account area,
                    // which opens the change by itself.
                    if let Some(i) = self.account_tab() {
                        self.active = i;
                        self.with_tab(i, cmds, |t, _, fx| t.me_changed(&me, fx));
                    }
                    return;
                }
                if !self.loaded {
                    self.loaded = true;
                    self.enrolment = None;
                    for i in 0..self.tabs.len() {
                        self.with_tab(i, cmds, |t, _, fx| t.load(fx));
                    }
                    self.follow(cmds);
                }
                for i in 0..self.tabs.len() {
                    self.with_tab(i, cmds, |t, _, fx| t.me_changed(&me, fx));
                }
            }
            AppAnswer::Me(Err(_)) if std::mem::take(&mut self.unread_refresh) && self.me.is_some() => {}
            AppAnswer::Me(Err(e)) if needs_login(&e) => {}
            AppAnswer::Me(Err(e)) if self.me.is_some() => {
                let text = format!("{}: {}", call.label, e.message);
                self.toast(ToastLevel::Error, text, false, cmds);
            }
            AppAnswer::Me(Err(e)) => {
                // The stored session could not be checked: log in again, saying why in place.
                let mut dialog = LoginDialog::new(&self.user, false);
                dialog.error = Some(e.message.clone());
                self.login = Some(dialog);
            }
        }
    }

    /// A call was refused for an expired session: ask to log in again over the current screen,
    /// keeping everything, and remember the call to send it again.
    fn session_lost(&mut self, call: &Call, e: &ApiError, cmds: &mut Vec<Command>) {
        if call.retryable && !self.retry.contains(call) && call.owner != Owner::App {
            self.retry.push(call.clone());
        }
        if self.login.is_none() {
            let email = self
                .me
                .as_ref()
                .map(|m| m.user.email.clone())
                .unwrap_or_else(|| self.user.clone());
            let mut dialog = LoginDialog::new(&email, self.me.is_some());
            if self.me.is_none() && e.code == ErrorCode::SessionExpired {
                dialog.notice = Some("Your session expired.".into());
            }
            self.login = Some(dialog);
            self.connection = Connection::LoggedOut;
            cmds.push(Command::ForgetToken);
        }
    }

    fn on_login(&mut self, result: Result<LoginResponse, ApiError>, cmds: &mut Vec<Command>) {
        match result {
            Ok(LoginResponse::Granted(grant)) => {
                self.login = None;
                self.connection = Connection::Online;
                cmds.push(Command::UseToken(grant.token));
                let me = self.request(me_call());
                cmds.push(me);
                for r in std::mem::take(&mut self.retry) {
                    let c = self.request(r);
                    cmds.push(c);
                }
            }
            Ok(LoginResponse::MfaRequired {
                challenge,
                methods,
                email_sent_to,
                ..
            }) => {
                if let Some(d) = self.login.as_mut() {
                    d.ask_code(challenge, methods, email_sent_to);
                }
            }
            Err(e) => {
                if let Some(d) = self.login.as_mut() {
                    d.failed(&e);
                }
                if e.code == ErrorCode::Network {
                    self.connection = Connection::Offline;
                }
            }
        }
    }

    /// What leaving now would lose, as the question to ask ("Quit and lose them?"), or `None`.
    fn leaving_loses(&self, verb: &str) -> Option<String> {
        let dirty: Vec<&str> = self.tabs.iter().filter(|t| t.is_dirty()).map(|t| t.title()).collect();
        if !dirty.is_empty() {
            return Some(format!(
                "You have unsaved edits in {}. {verb} and lose them?",
                dirty.join(", ")
            ));
        }
        let unfinished = self.enrolment.as_ref().and_then(Enrolment::unfinished)?;
        Some(format!("{unfinished} {verb} anyway?"))
    }

    /// Opens the live-update stream (once: a second waits for the first to end).
    fn follow(&mut self, cmds: &mut Vec<Command>) {
        if self.me.is_none() || self.following {
            return;
        }
        self.following = true;
        cmds.push(Command::Follow { after: self.last_seq });
    }

    fn on_stream(&mut self, event: crate::api::StreamEvent, cmds: &mut Vec<Command>) {
        use crate::api::StreamEvent;
        if self.me.is_none() {
            return;
        }
        match event {
            StreamEvent::Opened => {
                self.reconnects = 0;
                if self.connection == Connection::Offline {
                    self.connection = Connection::Online;
                    self.toast(ToastLevel::Info, "Back online", false, cmds);
                }
            }
            StreamEvent::Change(change) => {
                self.last_seq = Some(change.seq);
                // Agents' events are audited under their application, a disabling under its integration,
                // an expiring license under its licenses: each may have brought inbox entries.
                if matches!(change.area.as_str(), "application" | "integration" | "license") && !self.unread_refresh {
                    self.unread_refresh = true;
                    let c = self.request(me_call());
                    cmds.push(c);
                }
                for i in 0..self.tabs.len() {
                    self.with_tab(i, cmds, |t, ctx, fx| t.changed(&change, ctx, fx));
                }
            }
            StreamEvent::Reload { seq } => {
                // Too much happened meanwhile to replay: every tab reads what it shows again.
                self.last_seq = Some(seq);
                for i in 0..self.tabs.len() {
                    self.with_tab(i, cmds, |t, _, fx| t.load(fx));
                }
            }
        }
    }

    /// The stream ended: the server went away (offline until it answers again, retried with a growing
    /// wait), or the session did (the next call asks to log in again).
    fn stream_ended(&mut self, e: ApiError, cmds: &mut Vec<Command>) {
        self.following = false;
        if self.me.is_none() || self.logging_out {
            return;
        }
        if needs_login(&e) {
            return;
        }
        if self.connection == Connection::Online {
            self.connection = Connection::Offline;
            let text = format!(
                "Offline: {} (what is on screen may be out of date; edits are kept)",
                e.message
            );
            self.toast(ToastLevel::Warning, text, false, cmds);
        }
        let delay = Duration::from_secs(1 << self.reconnects.min(5)).min(RECONNECT_MAX);
        self.reconnects += 1;
        cmds.push(Command::Timer {
            key: (usize::MAX, "reconnect"),
            delay,
            msg: Box::new(Msg::Reconnect),
        });
    }

    /// The Account area's tab, where a required password change happens.
    fn account_tab(&self) -> Option<usize> {
        self.areas.iter().position(|a| a.id == "account")
    }

    /// A password change is required: nothing else until it is done.
    pub fn password_gate(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.must_change_password)
    }

    /// `:messages`: the session's messages, newest last, with their time in the organization's style.
    pub(super) fn open_message_log(&mut self) {
        let mut lines: Vec<String> = Vec::new();
        for m in &self.messages {
            let when = self.dates.datetime(m.at);
            let indent = " ".repeat(when.chars().count() + 3);
            // The box takes the screen less a margin, its borders and its padding.
            let room = (self.columns as usize).saturating_sub(7 + indent.len()).max(20);
            for (i, line) in crate::widgets::wrap(&m.text, room).into_iter().enumerate() {
                if i == 0 {
                    lines.push(format!("{when} {} {line}", m.level.mark()));
                } else {
                    lines.push(format!("{indent}{line}"));
                }
            }
        }
        if lines.is_empty() {
            lines.push("No messages yet in this session.".into());
        }
        let mut report = Report::new(format!("Messages ({})", self.messages.len()), lines);
        report.scroll = usize::MAX;
        self.message_log = Some(report);
    }

    /// `q` or ctrl-c: leave, asking first when edits would be lost.
    fn request_quit(&mut self) {
        match self.leaving_loses("Quit") {
            None => self.quit = true,
            Some(message) => {
                self.dialog = Some(Dialog::confirm(Action::Quit, "Quit?", message, "quit", "stay"));
            }
        }
    }

    /// `L`: log out, asking first when edits would be lost.
    fn request_logout(&mut self, cmds: &mut Vec<Command>) {
        match self.leaving_loses("Log out") {
            None => self.logout(cmds),
            Some(message) => {
                self.dialog = Some(Dialog::confirm(Action::Logout, "Log out?", message, "log out", "stay"));
            }
        }
    }

    /// Ends the session and forgets everything of it: the token, who the user was, every tab (rebuilt
    /// empty), what waits to be sent again; then the full-screen login. Logging in again loads afresh.
    fn logout(&mut self, cmds: &mut Vec<Command>) {
        cmds.push(Command::Logout);
        // Replies to what is running now are dropped: their spinner stops here.
        self.running.clear();
        self.logging_out = true;
        self.me = None;
        self.tabs = self.areas.iter().map(|a| (a.make)()).collect();
        self.active = 0;
        self.loaded = false;
        self.retry.clear();
        self.reloading.clear();
        self.following = false;
        self.last_seq = None;
        self.reconnects = 0;
        self.enrolment = None;
        self.dialog = None;
        self.help = None;
        self.jump = None;
        self.go_pending = false;
        self.toasts.clear();
        self.dates = DateTimeStyle::default();
        self.connection = Connection::LoggedOut;
        let mut login = LoginDialog::new(&self.user, false);
        login.notice = Some("You are logged out.".into());
        self.login = Some(login);
    }

    fn confirmed(&mut self, action: Action, cmds: &mut Vec<Command>) {
        match action {
            Action::Quit => self.quit = true,
            Action::Logout => self.logout(cmds),
            crate::tabs::security::ENROL_TOTP if self.enrolment.is_some() => {
                self.with_enrolment(cmds, |e, _, _| e.confirmed())
            }
            _ => {
                let active = self.active;
                self.with_tab(active, cmds, |t, ctx, fx| t.confirmed(action, ctx, fx));
            }
        }
    }

    /// The footer's key hints for what is on screen now.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        let items: Vec<(Action, &'static str)> = if self.dialog.is_some() {
            vec![
                (Action::Yes, "yes"),
                (Action::No, "no"),
                (Action::Left, "choose"),
                (Action::Activate, "press"),
            ]
        } else if self.help.is_some() {
            vec![(Action::Cancel, "close"), (Action::Down, "scroll")]
        } else if self.jump.is_some() {
            vec![(Action::Activate, "go"), (Action::Cancel, "cancel")]
        } else if self.go_pending {
            vec![(Action::Cancel, "cancel")]
        } else if self.me.is_some() && self.sidebar_is_drawer() {
            vec![
                (Action::Down, "choose"),
                (Action::Activate, "go"),
                (Action::Cancel, "close"),
            ]
        } else if let Some(enrolment) = &self.enrolment {
            enrolment.hints()
        } else if self.me.is_none() {
            vec![(Action::Help, "help"), (Action::Quit, "quit")]
        } else {
            let mut hints = self.active_tab().hints();
            // Where quitting is offered, so is logging out.
            if hints.iter().any(|(a, _)| *a == Action::Quit) {
                hints.push((Action::Logout, "log out"));
            }
            hints
        };
        self.keymap.hints_labeled(&items)
    }
}
