//! Fixtures shared by the console's tests: a logged-in app fed with canned replies, and keys.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use orgdeck::{
    App, AppInit, Command, Msg,
    api::{Call, OwnerMsg},
    keymap::Keymap,
    tabs::{Effects, Tab, TabCtx},
    theme::{Theme, ThemeKind},
};
use orgdeck_shared::{
    ApiError, Versioned,
    auth::{
        Me, MeOrg, MeSession, MeTwoStep, MeUser, OrgRole,
        endpoints::{GetMe, Login},
    },
    endpoint::Endpoint,
    general::{Environment, GeneralSettings},
    inventory::endpoints::GetLicenses,
    licensing::{LicenseExpiration, LicensePool, LicenseSummary},
    security::TwoStepMethod,
    settings::endpoints::Get as GetSettings,
};
use uuid::Uuid;

pub fn settings() -> Versioned<GeneralSettings> {
    let id = Uuid::parse_str("0193f2a4-7c1e-7d2b-9a4e-5b6c7d8e9f01").unwrap();
    let created: Timestamp = "2026-03-14T09:26:53Z".parse().unwrap();
    let mut value = GeneralSettings::new(id, "Acme Security", created);
    value.auto_license_new_servers = true;
    value.auto_license_environments = vec![Environment::Production];
    Versioned { version: 3, value }
}

pub fn licenses() -> LicenseSummary {
    let exp = |y, m, d, count| LicenseExpiration {
        date: jiff::civil::date(y, m, d),
        count,
    };
    LicenseSummary {
        assess: LicensePool::new(50, 38, vec![exp(2026, 12, 31, 10), exp(2027, 6, 30, 40)]),
        protect: LicensePool::new(20, 5, vec![exp(2027, 1, 15, 20)]),
    }
}

pub fn me() -> Me {
    let at: Timestamp = "2026-11-28T21:00:00Z".parse().unwrap();
    Me {
        user: MeUser {
            id: Uuid::nil(),
            email: "admin@acme.test".into(),
            first_name: "Ada".into(),
            last_name: "Admin".into(),
        },
        org: MeOrg {
            id: settings().value.id,
            name: "Acme Security".into(),
        },
        role: OrgRole::Admin,
        session: Some(MeSession {
            expires_at: at,
            idle_expires_at: at,
        }),
        api_key: None,
        client_ip: "127.0.0.1".into(),
        must_change_password: false,
        two_step: MeTwoStep {
            available: vec![TwoStepMethod::Totp, TwoStepMethod::Email],
            enrolled: Vec::new(),
            must_enrol: false,
        },
        unread: 0,
    }
}

pub fn init(theme: ThemeKind, read_only: bool, has_token: bool) -> AppInit {
    AppInit {
        profile: "acme".into(),
        server: "https://deck.acme.test".into(),
        user: "admin@acme.test".into(),
        read_only,
        keymap: Keymap::new(&Default::default(), read_only).0,
        theme: Theme::new(theme),
        log_path: Some("/home/ada/.local/share/orgdeck/logs/orgdeck.log".into()),
        has_token,
        notices: Vec::new(),
    }
}

/// The answer `result` to `call` of `E`, as the runner sends it.
pub fn reply<E: Endpoint>(call: Call, result: Result<E::Response, ApiError>) -> Msg
where
    E::Response: Send + Sync,
{
    Msg::reply::<E>(call, result)
}

/// The answer `result` to the newest call of `E` the app is waiting for.
pub fn answer<E: Endpoint>(app: &App, result: Result<E::Response, ApiError>) -> Msg
where
    E::Response: Send + Sync,
{
    let waiting = app.running().rev().find(|c| c.is::<E>()).cloned();
    // `GET me` may come unasked in a test: the console's own call then.
    let call = waiting
        .or_else(|| Some(orgdeck::app::me_call()).filter(|c| c.is::<E>()))
        .unwrap_or_else(|| {
            panic!(
                "no call of {} waits: {:?}",
                std::any::type_name::<E>(),
                app.running().collect::<Vec<_>>()
            )
        });
    Msg::reply::<E>(call, result)
}

/// The answer `result` to `call`, whatever its endpoint (the call's owner checks the type).
pub fn reply_to<T: std::any::Any + Send + Sync>(call: Call, result: Result<T, ApiError>) -> Msg {
    Msg::Answer {
        call,
        result: result.map(orgdeck::api::Answer::new),
    }
}

/// The endpoints of the calls among commands, by short name: `auth::StartTotp`,
/// `settings::Get<GeneralSettings>`.
pub fn endpoints_of(cmds: &[Command]) -> Vec<String> {
    requests(cmds).iter().map(|c| short(c.endpoint())).collect()
}

/// `orgdeck_shared::users::endpoints::List` as `users::List`.
pub fn short(name: &str) -> String {
    let mut out = name.replace("orgdeck_shared::", "").replace("::endpoints::", "::");
    for module in ["general::", "password::", "security::", "api_keys::"] {
        out = out.replace(&format!("<{module}"), "<");
    }
    out
}

/// The calls of `E` among commands.
pub fn calls_of<E: Endpoint>(cmds: &[Command]) -> Vec<Call> {
    requests(cmds).into_iter().filter(|c| c.is::<E>()).collect()
}

/// The one call of `E` among commands.
pub fn call_of<E: Endpoint>(cmds: &[Command]) -> Call {
    let mut calls = calls_of::<E>(cmds);
    assert_eq!(calls.len(), 1, "one call of {} in {cmds:?}", std::any::type_name::<E>());
    calls.remove(0)
}

/// The body of the one call among commands, which must be a call of `E`.
pub fn only_body<E: Endpoint, B: serde::de::DeserializeOwned>(cmds: &[Command]) -> B {
    let calls = requests(cmds);
    assert_eq!(calls.len(), 1, "one call: {cmds:?}");
    assert!(
        calls[0].is::<E>(),
        "{:?} is not a call of {}",
        calls[0],
        std::any::type_name::<E>()
    );
    calls[0].body_as().expect("a body of that type")
}

/// Whether commands hold a call of `E`.
pub fn sends<E: Endpoint>(cmds: &[Command]) -> bool {
    !calls_of::<E>(cmds).is_empty()
}

/// `GET me` answered with `me()`.
pub fn me_answer() -> Msg {
    reply::<GetMe>(orgdeck::app::me_call(), Ok(me()))
}

/// An app whose stored session checked out and whose General tab has loaded.
pub fn logged_in_with(theme: ThemeKind, read_only: bool) -> App {
    let mut app = App::new(init(theme, read_only, true));
    assert_eq!(app.start(), vec![Command::Api(orgdeck::app::me_call())]);
    let cmds = app.update(me_answer());
    let general = call_of::<GetSettings<GeneralSettings>>(&cmds);
    let licensing = call_of::<GetLicenses>(&cmds);
    // The other tabs load too: an organization without users.
    let others = cmds
        .into_iter()
        .filter(|c| !matches!(c, Command::Api(call) if *call == general || *call == licensing))
        .collect();
    orgdeck::bench::serve(&mut app, others, 0);
    app.update(reply::<GetSettings<GeneralSettings>>(general, Ok(settings())));
    app.update(reply::<GetLicenses>(licensing, Ok(licenses())));
    app
}

pub fn logged_in() -> App {
    logged_in_with(ThemeKind::Color256, false)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Sends every message, returning all the commands they produced.
pub fn send(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Command> {
    msgs.into_iter().flat_map(|m| app.update(m)).collect()
}

pub fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    send(app, text.chars().map(ch))
}

/// The API calls among commands.
pub fn requests(cmds: &[Command]) -> Vec<Call> {
    cmds.iter()
        .filter_map(|c| if let Command::Api(r) = c { Some(r.clone()) } else { None })
        .collect()
}

/// The screen as text, drawn into a test terminal of that size.
pub fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    terminal.backend().to_string()
}

/// An app logged in to a fake organization of `total` users (rows made from their index by
/// `orgdeck::bench`), every load answered, with the Users tab open.
pub fn users_app(total: usize) -> App {
    users_app_with(total, false)
}

pub fn users_app_with(total: usize, read_only: bool) -> App {
    let mut app = App::new(init(ThemeKind::Color256, read_only, true));
    app.start();
    let cmds = app.update(me_answer());
    let general = call_of::<GetSettings<GeneralSettings>>(&cmds);
    orgdeck::bench::serve(&mut app, cmds, total);
    app.update(reply::<GetSettings<GeneralSettings>>(general, Ok(settings())));
    send(&mut app, [ch('2')]);
    app
}

pub fn users(app: &App) -> &orgdeck::tabs::UsersTab {
    app.tab::<orgdeck::tabs::UsersTab>().expect("a Users tab")
}

pub fn groups_tab(app: &App) -> &orgdeck::tabs::GroupsTab {
    app.tab::<orgdeck::tabs::GroupsTab>().expect("a Groups tab")
}

/// The page requests of the Users table among commands.
pub fn user_pages(cmds: &[Command]) -> Vec<Call> {
    calls_of::<orgdeck_shared::users::endpoints::List>(cmds)
}

pub fn security(app: &App) -> &orgdeck::tabs::SecurityTab {
    app.tab::<orgdeck::tabs::SecurityTab>().expect("a Security tab")
}

/// The logged-in app with the Security tab open (every security document at its defaults, version 1).
pub fn security_app() -> App {
    let mut app = logged_in();
    send(&mut app, [ch('4')]);
    assert_eq!(app.active_tab().title(), "Security");
    app
}

/// The login screen after the right password, with the server's challenge for `methods`.
pub fn second_step(methods: Vec<orgdeck_shared::auth::MfaMethod>, email_sent_to: Option<&str>) -> App {
    let mut app = App::new(init(ThemeKind::Color256, false, false));
    app.start();
    type_text(&mut app, "pw");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let login = requests(&cmds).into_iter().next().unwrap();
    let challenge = orgdeck_shared::auth::LoginResponse::MfaRequired {
        mfa_required: true,
        challenge: orgdeck_shared::auth::Secret::new("ch-1"),
        methods,
        email_sent_to: email_sent_to.map(str::to_owned),
    };
    send(&mut app, [reply::<Login>(login, Ok(challenge))]);
    app
}

/// Key `n` of `email` (holder `holder`): `od_Key00n`, made 2026-11-20.
pub fn api_key_info(n: u8, email: &str, holder: Uuid) -> orgdeck_shared::api_keys::ApiKeyInfo {
    let at: Timestamp = "2026-11-20T10:00:00Z".parse().unwrap();
    orgdeck_shared::api_keys::ApiKeyInfo {
        id: Uuid::from_u128(0x1000 + u128::from(n)),
        holder: orgdeck_shared::api_keys::ApiKeyHolder {
            id: holder,
            email: email.into(),
        },
        prefix: format!("od_Key{n:03}"),
        created_at: at,
        rotated_at: at,
        last_used_at: None,
        previous_valid_until: None,
    }
}

/// Answers the API keys tab's requests among `cmds`: its table's page with `keys`, the settings at
/// version 1 with `email_keys` on.
pub fn serve_api_keys(app: &mut App, cmds: &[Command], keys: &[orgdeck_shared::api_keys::ApiKeyInfo]) {
    for c in requests(cmds) {
        let answer = if c.is::<orgdeck_shared::api_keys::endpoints::List>() {
            let page = orgdeck_shared::Page {
                items: keys.to_vec(),
                next_cursor: None,
            };
            reply::<orgdeck_shared::api_keys::endpoints::List>(c, Ok(page))
        } else if c.is::<GetSettings<orgdeck_shared::api_keys::ApiKeySettings>>() {
            let doc = Versioned {
                version: 1,
                value: Default::default(),
            };
            reply::<GetSettings<orgdeck_shared::api_keys::ApiKeySettings>>(c, Ok(doc))
        } else {
            continue;
        };
        app.update(answer);
    }
}

/// The logged-in app (an admin, `me()`) on the API keys tab, showing `keys`.
pub fn api_keys_app_with(app: App, keys: &[orgdeck_shared::api_keys::ApiKeyInfo]) -> App {
    let mut app = app;
    send(&mut app, [ch('6')]);
    assert_eq!(app.active_tab().title(), "API keys");
    let cmds = send(&mut app, [ch('r')]);
    serve_api_keys(&mut app, &cmds, keys);
    app
}

pub fn api_keys_app(keys: &[orgdeck_shared::api_keys::ApiKeyInfo]) -> App {
    api_keys_app_with(logged_in(), keys)
}

pub fn api_keys_tab(app: &App) -> &orgdeck::tabs::ApiKeysTab {
    app.tab::<orgdeck::tabs::ApiKeysTab>().expect("an API keys tab")
}

/// A tab with nothing in it: to show switching, and that a tab plugs in through the trait alone.
pub struct BlankTab(pub &'static str);

impl Tab for BlankTab {
    fn title(&self) -> &'static str {
        self.0
    }
    fn load(&mut self, _: &mut Effects) {}
    fn captures_input(&self) -> bool {
        false
    }
    fn handle_key(&mut self, _: &crossterm::event::KeyEvent, _: &TabCtx, _: &mut Effects) {}
    fn handle_action(&mut self, _: orgdeck::keymap::Action, _: &TabCtx, _: &mut Effects) -> bool {
        false
    }
    fn confirmed(&mut self, _: orgdeck::keymap::Action, _: &TabCtx, _: &mut Effects) {}
    fn answer(&mut self, _: OwnerMsg, _: &TabCtx, _: &mut Effects) {}
    fn is_dirty(&self) -> bool {
        false
    }
    fn hints(&self) -> Vec<(orgdeck::keymap::Action, &'static str)> {
        Vec::new()
    }
    fn render(&self, _: &mut ratatui::Frame, _: ratatui::layout::Rect, _: &TabCtx) {}
}
