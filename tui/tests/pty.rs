//! End to end, as a person: a real server, the real `orgdeck` binary in a pseudo-terminal (80x24,
//! NO_COLOR), keys typed one by one, the screen read back through a terminal emulator (vt100).

use std::{
    io::{Read, Write},
    path::Path,
    process::Command as Process,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use orgdeck::api::ApiClient;
use orgdeck_server::{ServerConfig, SystemClock};
use orgdeck_shared::{
    auth::{LoginRequest, LoginResponse, Secret, endpoints::Login},
    general::GeneralSettings,
    settings::endpoints::Get,
};

/// Logs `client` in as the fixture's admin.
async fn login(client: &ApiClient) -> LoginResponse {
    let body = LoginRequest {
        email: EMAIL.into(),
        password: Secret::new(PASSWORD),
    };
    client.send::<Login>(&(), &(), &body).await.unwrap()
}
use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_orgdeck");
const EMAIL: &str = "admin@pty.test";
const PASSWORD: &str = "correct horse battery staple";
const WAIT: Duration = Duration::from_secs(30);

/// The console running in a pty, with everything it printed so far.
struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Console {
    fn start(home: &Path, args: &[&str]) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(BIN);
        for a in args {
            cmd.arg(a);
        }
        env_for(home, |k, v| cmd.env(k, v));
        cmd.env("TERM", "xterm-256color");
        cmd.env("NO_COLOR", "1");
        cmd.env_remove("ORGDECK_TOKEN");
        let child = pair.slave.spawn_command(cmd).expect("orgdeck starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let rows = std::num::NonZeroU16::new(24).unwrap();
        let cols = std::num::NonZeroU16::new(80).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            // Keep the master alive as long as the reader runs.
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Console {
            child,
            writer,
            screen,
            raw,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("waited {WAIT:?} for {text:?}; the screen shows:\n{}", self.contents());
    }

    fn type_keys(&mut self, keys: &str) {
        for b in keys.as_bytes() {
            self.writer.write_all(&[*b]).unwrap();
            self.writer.flush().unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader take in the last bytes.
                std::thread::sleep(Duration::from_millis(200));
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("orgdeck did not exit; the screen shows:\n{}", self.contents());
    }
}

fn env_for(home: &Path, mut set: impl FnMut(&str, &str)) {
    set("XDG_CONFIG_HOME", home.join("config").to_str().unwrap());
    set("XDG_DATA_HOME", home.join("data").to_str().unwrap());
    set("HOME", home.to_str().unwrap());
    set("ORGDECK_CREDENTIAL_STORE", "file");
}

fn orgdeck(home: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Process::new(BIN);
    cmd.args(args).env_remove("ORGDECK_TOKEN");
    env_for(home, |k, v| {
        cmd.env(k, v);
    });
    cmd.output().expect("orgdeck runs")
}

#[test]
fn a_first_run_without_profiles_explains_and_leaves_the_terminal_alone() {
    let home = tempfile::tempdir().unwrap();
    let out = orgdeck(home.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("orgdeck profile add") && stderr.contains("--demo"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("\x1b["),
        "no terminal control when nothing opens"
    );
}

#[test]
fn a_person_logs_in_renames_the_organization_saves_and_quits() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let database = runtime.block_on(test_database());
    let db = orgdeck_server::Database::configured(data.path(), database.as_deref());
    orgdeck_server::init_org(&db, "Pty Org", EMAIL, PASSWORD, &SystemClock).expect("init_org");
    let config = server_config(data.path(), database.as_deref(), "127.0.0.1:0");
    let server = runtime.block_on(orgdeck_server::spawn(config)).expect("server starts");
    let url = server.base_url();

    let home = tempfile::tempdir().unwrap();
    let out = orgdeck(home.path(), &["profile", "add", "pty", "--url", &url, "--user", EMAIL]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = orgdeck(home.path(), &["profile", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains(&url));

    // Log in by typing: the email is prefilled from the profile, the password goes in masked.
    let mut console = Console::start(home.path(), &[]);
    console.wait_for("Log in to orgdeck");
    console.type_keys(PASSWORD);
    console.wait_for("••••");
    assert!(!console.contents().contains(PASSWORD));
    console.type_keys("\r");
    console.wait_for("Pty Org");
    console.wait_for("Created"); // the settings have loaded

    // Rename: enter edits the focused Name, ctrl-u clears it, enter keeps the text, ctrl-s saves.
    console.type_keys("\r\x15Renamed by pty\r");
    console.wait_for("modified");
    console.type_keys("\x13");
    console.wait_for("Saved general settings");

    let saved = runtime.block_on(async {
        let client = ApiClient::new(&url, None).unwrap();
        match login(&client).await {
            LoginResponse::Granted(g) => client.set_token(Some(g.token)),
            other => panic!("{other:?}"),
        }
        client.send::<Get<GeneralSettings>>(&(), &(), &()).await.unwrap()
    });
    assert_eq!(saved.value.name, "Renamed by pty");

    console.type_keys("q");
    let status = console.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let raw = console.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("\x1b[?1049h"), "the alternate screen was entered");
    assert!(raw.contains("\x1b[?1049l"), "and left");
    assert!(raw.contains("\x1b[?25h"), "the cursor is shown again");
    let parser = console.screen.lock().unwrap();
    assert!(!parser.screen().alternate_screen(), "back on the normal screen");
    assert!(!parser.screen().hide_cursor(), "with the cursor visible");
    drop(parser);

    // A new process finds the stored session token (0600 file here) and skips the login.
    let token_file = home.path().join("data/orgdeck/credentials/pty.token");
    assert!(token_file.exists(), "the token is stored, never the password");
    assert!(!std::fs::read_to_string(&token_file).unwrap().contains(PASSWORD));
    let mut again = Console::start(home.path(), &[]);
    again.wait_for("Renamed by pty");
    assert!(!again.contents().contains("Log in to orgdeck"));
    again.type_keys("q");
    assert!(again.wait_exit().success());

    runtime.block_on(server.shutdown());
}

/// The PostgreSQL database the servers of these tests run on with `ORGDECK_TEST_DATABASE=postgres` (a fresh
/// one each; README "Tests and PostgreSQL"); `None`: the data directory's SQLite file.
async fn test_database() -> Option<String> {
    if std::env::var("ORGDECK_TEST_DATABASE").is_ok_and(|v| v == "postgres") {
        let pg = orgdeck_server::pg_test::server().expect("ORGDECK_TEST_DATABASE=postgres needs a PostgreSQL");
        return Some(pg.fresh_database().await);
    }
    None
}

/// A server's configuration on the data directory `data`, listening on `listen`: on its SQLite file, or on
/// the PostgreSQL `database` with a secret key of the tests.
fn server_config(data: &Path, database: Option<&str>, listen: &str) -> ServerConfig {
    let mut config = ServerConfig::new(data);
    config.listen = listen.parse().expect("an address");
    if let Some(url) = database {
        config.database = Some(url.to_owned());
        config.secret_key = Some(*b"orgdeck-pty-tests-postgres-key!!");
    }
    config
}

/// A real server with one organization and its admin, and a console profile for it.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: Option<orgdeck_server::ServerHandle>,
    url: String,
    home: tempfile::TempDir,
    _data: tempfile::TempDir,
    /// The server's database (its SQLite file in `_data`, or PostgreSQL).
    db: orgdeck_server::Database,
    /// The PostgreSQL database, when the server runs on one.
    database: Option<String>,
    org: orgdeck_server::OrgCreated,
}

impl Fixture {
    fn new(org: &str) -> Fixture {
        Fixture::with(org, |_| {})
    }

    /// A fixture whose server's configuration `configure` changes.
    fn with(org: &str, configure: impl FnOnce(&mut ServerConfig)) -> Fixture {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let data = tempfile::tempdir().unwrap();
        let database = runtime.block_on(test_database());
        let db = orgdeck_server::Database::configured(data.path(), database.as_deref());
        let org = orgdeck_server::init_org(&db, org, EMAIL, PASSWORD, &SystemClock).expect("init_org");
        let mut config = server_config(data.path(), database.as_deref(), "127.0.0.1:0");
        configure(&mut config);
        let server = runtime.block_on(orgdeck_server::spawn(config)).expect("server starts");
        let url = server.base_url();
        let home = tempfile::tempdir().unwrap();
        let out = orgdeck(home.path(), &["profile", "add", "pty", "--url", &url, "--user", EMAIL]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Fixture {
            runtime,
            server: Some(server),
            url,
            home,
            _data: data,
            db,
            database,
            org,
        }
    }

    /// An API client logged in as the admin, to check what the console did.
    fn client(&self) -> ApiClient {
        self.runtime.block_on(async {
            let client = ApiClient::new(&self.url, None).unwrap();
            match login(&client).await {
                LoginResponse::Granted(g) => client.set_token(Some(g.token)),
                other => panic!("{other:?}"),
            }
            client
        })
    }

    /// The console, logged in by typing the password, with the General tab loaded.
    fn console(&self) -> Console {
        let mut console = Console::start(self.home.path(), &[]);
        console.wait_for("Log in to orgdeck");
        console.type_keys(PASSWORD);
        console.type_keys("\r");
        console.wait_for("Created");
        console
    }

    /// The users whose name or email starts with `q`, as the server has them now.
    fn users(&self, client: &ApiClient, q: &str) -> Vec<orgdeck_shared::users::User> {
        let query = orgdeck_shared::users::UserQuery {
            q: Some(q.to_owned()),
            ..Default::default()
        };
        self.runtime
            .block_on(client.send::<orgdeck_shared::users::endpoints::List>(&(), &query, &()))
            .expect("users")
            .items
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

const DOWN: &str = "\x1b[B";

impl Console {
    /// A key that is an escape sequence (an arrow), written at once as a terminal sends it: byte by
    /// byte, the lone ESC would read as the Escape key.
    fn press(&mut self, sequence: &str) {
        self.writer.write_all(sequence.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_person_adds_a_user_finds_them_disables_enables_and_deletes_them() {
    use orgdeck_shared::users::UserStatus;

    let fx = Fixture::new("Pty Users Org");
    let client = fx.client();
    let mut console = fx.console();

    // The Users tab lists the admin.
    console.type_keys("2");
    console.wait_for(EMAIL);

    // Add: `a` opens the form typing the email; down + enter edits the next field; the password is
    // four fields below the last name; ctrl-s saves.
    console.type_keys("a");
    console.wait_for("Add user");
    console.type_keys("pat.doe@pty.test");
    console.press(DOWN);
    console.type_keys("\r");
    console.type_keys("Pat");
    console.press(DOWN);
    console.type_keys("\r");
    console.type_keys("Doe");
    for _ in 0..4 {
        console.press(DOWN);
    }
    console.type_keys("\r");
    console.type_keys("s");
    console.wait_for("✗ at least 15 characters");
    console.type_keys("ilver lining over the bay");
    console.wait_for("✓ meets the password policy");
    console.type_keys("\x13");
    console.wait_for("Added pat.doe@pty.test");
    let found = fx.users(&client, "pat");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].status, UserStatus::Active);

    // Find: `/` and typing searches the server after a pause; enter ends the search.
    console.type_keys("/pat");
    console.wait_for("1/1");
    console.type_keys("\r");
    assert!(console.contents().contains("pat.doe@pty.test"));

    // Disable asks first (naming the user); enable does not.
    console.type_keys("-");
    console.wait_for("Disable 1 user?");
    assert!(console.contents().contains("Disable pat.doe@pty.test?"));
    console.type_keys("y");
    console.wait_for("pat.doe@pty.test: disabled");
    assert_eq!(fx.users(&client, "pat")[0].status, UserStatus::Disabled);
    console.type_keys("+");
    console.wait_for("pat.doe@pty.test: enabled");
    assert_eq!(fx.users(&client, "pat")[0].status, UserStatus::Active);

    // Delete asks first; yes deletes.
    console.type_keys("d");
    console.wait_for("Delete 1 user?");
    console.type_keys("y");
    console.wait_for("Deleted pat.doe@pty.test");
    console.wait_for("No users match “pat”");
    assert!(fx.users(&client, "pat").is_empty());

    console.type_keys("q");
    assert!(console.wait_exit().success());
}

const RIGHT: &str = "\x1b[C";

#[test]
fn a_person_sets_a_stronger_password_preset_and_finds_the_change_in_the_audit_log() {
    use orgdeck_shared::password::PasswordStrength;

    let fx = Fixture::new("Pty Security Org");
    let client = fx.client();
    let mut console = fx.console();

    // Security opens on the password policy; right cycles the preset: nist → weak → medium → strong.
    console.type_keys("4");
    console.wait_for("[Password policy]");
    // The form, loaded (a key pressed while it loads has no form to change).
    console.wait_for("◂ nist ▸");
    for _ in 0..3 {
        console.press(RIGHT);
    }
    console.wait_for("strong: at least 10 characters mixing 3");
    console.type_keys("s");
    console.wait_for("Saved password policy");
    let saved = fx
        .runtime
        .block_on(client.send::<Get<orgdeck_shared::password::PasswordPolicy>>(&(), &(), &()))
        .expect("the policy");
    let policy = saved.value;
    assert_eq!(policy.strength, PasswordStrength::Strong);

    // The audit log finds the change by keyword; enter shows the field change.
    console.type_keys("5");
    console.wait_for("Audit log");
    console.type_keys("/password_policy");
    console.type_keys("\r");
    // The search's own page (one match), not the newest entries shown before it, which the same row
    // heads: Enter on a row of a page about to be replaced opened the detail of a list that then went.
    console.wait_for("1/1");
    console.wait_for("Changed password_polic");
    console.type_keys("\r");
    console.wait_for("strength: nist → strong");
    console.press("\x1b");

    // Export the search as JSON lines; a second export to the same path asks before overwriting.
    let path = fx.home.path().join("audit.jsonl");
    let path_text = path.to_str().unwrap().to_owned();
    console.type_keys("x");
    console.wait_for("Export the current search");
    console.type_keys(&path_text);
    console.type_keys("\r");
    console.wait_for("Exported 1 row ");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains("password_policy") && written.lines().count() == 1,
        "{written}"
    );
    console.type_keys("x");
    console.wait_for("Export the current search");
    console.type_keys(&path_text);
    console.type_keys("\r");
    console.wait_for("Overwrite?");
    console.type_keys("y");
    console.wait_for("Exported 1 row ");

    console.type_keys("q");
    assert!(console.wait_exit().success());
}

/// Two-step on for the fixture's organization (authenticator apps), and `required` if asked.
fn turn_on_two_step(fx: &Fixture, client: &ApiClient, required: bool) {
    use orgdeck_shared::{
        security::{TwoStepMethod, TwoStepSettings},
        settings::endpoints::Put,
    };
    fx.runtime.block_on(async {
        let current = client
            .send::<Get<TwoStepSettings>>(&(), &(), &())
            .await
            .expect("two-step settings");
        let on = TwoStepSettings {
            enabled: true,
            required,
            methods: vec![TwoStepMethod::Totp],
        };
        client
            .send_versioned::<Put<TwoStepSettings>>(&(), &(), &on, Some(current.version))
            .await
            .expect("two-step on");
    });
}

/// The code of the base32 `key` at `steps_ahead` 30-second steps from now.
fn totp_code(key: &str, steps_ahead: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(key).expect("a base32 key");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now + steps_ahead * orgdeck_server::auth::totp::STEP_SECS;
    orgdeck_server::auth::totp::code_at(secret.as_bytes(), orgdeck_server::auth::totp::DIGITS, at).expect("a code")
}

impl Console {
    /// The rows of the screen, as many characters as columns (the QR code's blocks are one column each).
    fn rows(&self) -> Vec<String> {
        self.screen.lock().unwrap().screen().rows(0, 80).collect()
    }

    /// The manual key of the enrolment screen: the groups under the "Key" label, beside the QR code.
    fn enrolment_key(&self) -> String {
        let rows = self.rows();
        let (label_row, col) = rows
            .iter()
            .enumerate()
            .find_map(|(i, r)| {
                let col = r.find("Key")?;
                r[col + 3..].trim().is_empty().then(|| (i, r[..col].chars().count()))
            })
            .unwrap_or_else(|| panic!("no Key label on screen:\n{}", self.contents()));
        let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
        let key: String = rows[label_row + 1..]
            .iter()
            .map(|r| r.chars().skip(col).collect::<String>().trim().to_owned())
            .take_while(|t| !t.is_empty() && t.chars().all(|c| c == ' ' || base32(c)))
            .flat_map(|t| t.chars().filter(|c| *c != ' ').collect::<Vec<_>>())
            .collect();
        assert!(key.len() >= 16, "a key of {} characters: {key:?}", key.len());
        key
    }

    /// The backup codes on screen (`xxxxx-xxxxx`).
    fn backup_codes(&self) -> Vec<String> {
        self.contents()
            .split_whitespace()
            .filter(|w| {
                w.len() == 11 && w.as_bytes()[5] == b'-' && w.chars().all(|c| c == '-' || c.is_ascii_alphanumeric())
            })
            .map(str::to_owned)
            .collect()
    }
}

#[test]
fn a_person_enrols_an_authenticator_app_logs_out_and_logs_in_again_with_a_code() {
    let fx = Fixture::new("Pty Two-step Org");
    let client = fx.client();
    turn_on_two_step(&fx, &client, false);
    let mut console = fx.console();

    // Security › Two-step, E: the QR code and the key to type in by hand.
    console.type_keys("4");
    console.wait_for("[Password policy]");
    console.type_keys("]]]");
    console.wait_for("[Two-step]");
    console.wait_for("E enrols you with an authenticator app");
    console.type_keys("E");
    console.wait_for("Scan the QR code");
    let key = console.enrolment_key();
    console.type_keys(&totp_code(&key, 0));
    console.type_keys("\r");
    console.wait_for("Store these backup codes now");
    assert_eq!(console.backup_codes().len(), 10, "{}", console.contents());
    console.press("\x1b");
    console.wait_for("The backup codes will not be shown again.");
    console.type_keys("y");
    console.wait_for("Your account: two-step by authenticator app.");

    // Log out: the login comes back full screen and the stored token is gone.
    console.type_keys("L");
    console.wait_for("You are logged out.");
    assert!(
        !console.contents().contains("Pty Two-step Org"),
        "{}",
        console.contents()
    );
    let token_file = fx.home.path().join("data/orgdeck/credentials/pty.token");
    let start = Instant::now();
    while token_file.exists() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!token_file.exists(), "the stored token is forgotten");

    // The password, then the code of the next step (this one was used to enrol; ±1 step is accepted).
    console.type_keys(PASSWORD);
    console.type_keys("\r");
    console.wait_for("Enter the 6-digit code from your authenticator app.");
    console.wait_for("A backup code works too.");
    console.type_keys(&totp_code(&key, 1));
    console.type_keys("\r");
    console.wait_for("Pty Two-step Org");
    console.wait_for("Created");

    console.type_keys("q");
    assert!(console.wait_exit().success());
}

#[test]
fn when_the_organization_requires_two_step_the_console_enrols_before_it_opens() {
    let fx = Fixture::new("Pty Required Org");
    let client = fx.client();
    turn_on_two_step(&fx, &client, true);

    let mut console = Console::start(fx.home.path(), &[]);
    console.wait_for("Log in to orgdeck");
    console.type_keys(PASSWORD);
    console.type_keys("\r");
    // Only one method is offered: its enrolment opens by itself, and no tab has loaded.
    console.wait_for("Scan the QR code");
    assert!(!console.contents().contains("Created"));
    let key = console.enrolment_key();
    console.type_keys(&totp_code(&key, 0));
    console.type_keys("\r");
    console.wait_for("Store these backup codes now");
    console.press("\x1b");
    console.wait_for("The backup codes will not be shown again.");
    console.type_keys("y");
    console.wait_for("Pty Required Org");
    console.wait_for("Created");

    console.type_keys("q");
    assert!(console.wait_exit().success());
}

impl Console {
    /// The whole API key on screen (shown once, in the new key's box): `od_` and 41 more characters.
    fn api_key(&self) -> String {
        let screen = self.contents();
        screen
            .match_indices("od_")
            .map(|(at, _)| {
                screen[at..]
                    .chars()
                    .take(orgdeck_shared::api_keys::KEY_LEN)
                    .collect::<String>()
            })
            .find(|k| orgdeck_shared::api_keys::well_formed(k))
            .unwrap_or_else(|| panic!("no API key on screen:\n{screen}"))
    }
}

/// `GET me` with `key`, as a script would send it: the status, and whose key it is.
fn me_with_key(fx: &Fixture, key: &str) -> (reqwest::StatusCode, Option<String>) {
    fx.runtime.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{}{}", fx.url, orgdeck_shared::routes::ME))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let me: Option<orgdeck_shared::auth::Me> = resp.json().await.ok();
        (status, me.map(|m| m.user.email))
    })
}

#[test]
fn a_person_makes_an_api_key_uses_it_rotates_it_and_the_old_key_stops() {
    let fx = Fixture::new("Pty Keys Org");
    let mut console = fx.console();
    console.type_keys("6");
    console.wait_for("Every personal key of the organization");
    console.type_keys("a");
    console.wait_for("It will not be shown again.");
    let first = console.api_key();
    assert!(console.contents().contains(&format!("{}/api/v1/me", fx.url)));
    assert_eq!(
        me_with_key(&fx, &first),
        (reqwest::StatusCode::OK, Some(EMAIL.to_owned()))
    );
    console.press("\x1b");
    console.wait_for("Close the new key?");
    console.type_keys("y");
    console.wait_for(&format!("{} (you)", EMAIL));

    // Rotate with no grace period: the confirmation says the old key stops now.
    console.type_keys("R");
    console.wait_for("Minutes the old key keeps working");
    console.type_keys("\r");
    console.wait_for("The old key stops working now.");
    console.type_keys("y");
    console.wait_for("Rotated: the new API key of");
    let second = console.api_key();
    assert_ne!(first, second);
    assert_eq!(me_with_key(&fx, &first).0, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(
        me_with_key(&fx, &second),
        (reqwest::StatusCode::OK, Some(EMAIL.to_owned()))
    );
    console.press("\x1b");
    console.type_keys("y");
    console.type_keys("q");
    assert!(console.wait_exit().success());
}

impl Console {
    /// The session token the console stored for the profile `pty` (a 0600 file in these tests).
    fn session_token(&self, fx: &Fixture) -> String {
        let file = fx.home.path().join("data/orgdeck/credentials/pty.token");
        std::fs::read_to_string(file).expect("the stored token")
    }
}

impl Fixture {
    /// A profile named `name` for `email` in the fixture's console home.
    fn add_profile(&self, name: &str, email: &str) {
        let out = orgdeck(
            self.home.path(),
            &["profile", "add", name, "--url", &self.url, "--user", email],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Stops the server (connections closed, as when it goes away).
    fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }

    /// Starts the server again on the same address and data.
    fn start_server(&mut self) {
        let addr = self.url.trim_start_matches("http://").trim_end_matches('/');
        let config = server_config(self._data.path(), self.database.as_deref(), addr);
        let server = self
            .runtime
            .block_on(orgdeck_server::spawn(config))
            .expect("the server starts again");
        assert_eq!(server.base_url(), self.url);
        self.server = Some(server);
    }

    /// Whether the server accepts `token` now (`GET me`).
    fn token_works(&self, token: &str) -> bool {
        self.runtime.block_on(async {
            let client = ApiClient::new(&self.url, None).unwrap();
            client.set_token(Some(Secret::new(token)));
            client
                .send::<orgdeck_shared::auth::endpoints::GetMe>(&(), &(), &())
                .await
                .is_ok()
        })
    }

    fn general(&self, client: &ApiClient) -> GeneralSettings {
        self.runtime
            .block_on(client.send::<Get<GeneralSettings>>(&(), &(), &()))
            .expect("general settings")
            .value
    }
}

#[test]
fn a_user_whose_password_an_admin_reset_is_taken_to_the_change_sets_a_new_one_and_lands_on_data() {
    let fx = Fixture::new("Reset Co");
    let admin = fx.client();
    let old = "orchid umbrella nineteen";
    let new = "violet lantern seventy two";
    let created = fx
        .runtime
        .block_on(admin.send::<orgdeck_shared::users::endpoints::Create>(
            &(),
            &(),
            &orgdeck_shared::users::NewUser {
                email: "ana@pty.test".into(),
                first_name: "Ana".into(),
                last_name: "Lima".into(),
                default_group: orgdeck_shared::auth::OrgRole::Admin,
                groups: Vec::new(),
                api_only: false,
                password: Some(Secret::new(old)),
            },
        ))
        .expect("ana is created");
    let action = orgdeck_shared::routes::user_action::RESET_PASSWORD;
    fx.runtime
        .block_on(admin.send::<orgdeck_shared::users::endpoints::Act>(&(created.user.id, action), &(), &()))
        .expect("the reset is forced");
    fx.add_profile("ana", "ana@pty.test");

    let mut console = Console::start(fx.home.path(), &["--profile", "ana"]);
    console.wait_for("Log in to orgdeck");
    console.type_keys(old);
    console.type_keys("\r");
    // Nothing else opens before the change.
    console.wait_for("New password again");
    console.type_keys(old);
    console.type_keys("\t");
    console.type_keys(new);
    console.type_keys("\t");
    console.type_keys(new);
    console.type_keys("\r");
    console.wait_for("Password changed");
    console.type_keys("1");
    console.wait_for("Created");
    assert!(console.contents().contains("Reset Co"), "{}", console.contents());
    console.type_keys("q");
    assert!(console.wait_exit().success());

    // The server agrees: the new password logs in, the old one no longer does.
    let try_login = |password: &str| {
        fx.runtime.block_on(async {
            let client = ApiClient::new(&fx.url, None).unwrap();
            let body = LoginRequest {
                email: "ana@pty.test".into(),
                password: Secret::new(password),
            };
            client.send::<Login>(&(), &(), &body).await
        })
    };
    let Ok(LoginResponse::Granted(grant)) = try_login(new) else {
        panic!("the new password logs in");
    };
    let me = fx.runtime.block_on(async {
        let client = ApiClient::new(&fx.url, None).unwrap();
        client.set_token(Some(grant.token));
        client
            .send::<orgdeck_shared::auth::endpoints::GetMe>(&(), &(), &())
            .await
            .unwrap()
    });
    assert!(!me.must_change_password, "the forced reset is lifted");
    assert!(try_login(old).is_err());
}

#[test]
fn two_consoles_see_each_others_saves_and_a_conflicting_edit_is_merged_field_by_field() {
    let fx = Fixture::new("Two Co");
    let mut a = fx.console();
    // A second console of the same admin, with its own profile (and so its own stored session).
    fx.add_profile("second", EMAIL);
    let mut b = Console::start(fx.home.path(), &["--profile", "second"]);
    b.wait_for("Log in to orgdeck");
    b.type_keys(PASSWORD);
    b.type_keys("\r");
    b.wait_for("Created");
    // A renames; B shows it without r.
    a.type_keys("\r");
    a.type_keys("\x15"); // ctrl-u clears the field
    a.type_keys("Renamed By A\r");
    a.type_keys("s");
    a.wait_for("Saved general settings");
    b.wait_for("Renamed By A");

    // B edits the name; meanwhile A changes the time zone and saves.
    b.type_keys("\r\x15Named By B\r");
    b.wait_for("modified");
    for _ in 0..3 {
        a.press(DOWN);
    }
    a.type_keys("\r\x15Europe/Paris\r");
    a.type_keys("s");
    a.wait_for("Saved general settings");
    // B keeps its edit and is told who changed the settings.
    b.wait_for("Changed by admin@pty.test");
    assert!(b.contents().contains("Named By B"), "{}", b.contents());
    // Saving shows both side by side; enter saves B's name with A's time zone.
    b.type_keys("s");
    b.wait_for("Save: your edits and the newer version");
    assert!(b.contents().contains("Europe/Paris"), "{}", b.contents());
    b.type_keys("\r");
    b.wait_for("Saved general settings");
    let saved = fx.general(&fx.client());
    assert_eq!(
        (saved.name.as_str(), saved.timezone.as_str()),
        ("Named By B", "Europe/Paris")
    );
    // And A shows B's save.
    a.wait_for("Named By B");
    for c in [&mut a, &mut b] {
        c.type_keys("q");
        assert!(c.wait_exit().success());
    }
}

#[test]
fn a_server_that_goes_away_shows_offline_keeps_the_screen_and_comes_back_by_itself() {
    let mut fx = Fixture::new("Away Co");
    let mut console = fx.console();
    console.type_keys("\r\x15Unsaved Name\r");
    fx.stop_server();
    console.wait_for("offline");
    let screen = console.contents();
    assert!(
        screen.contains("Unsaved Name") && screen.contains("Created"),
        "{screen}"
    );
    fx.start_server();
    console.wait_for("online");
    console.wait_for("Back online");
    assert!(console.contents().contains("Unsaved Name"), "the edit is kept");

    // Logging out while the server is away: said, and done once it is back.
    let token = console.session_token(&fx);
    fx.stop_server();
    console.wait_for("offline");
    console.type_keys("L");
    console.wait_for("Log out?");
    console.type_keys("y");
    console.wait_for("cannot be reached");
    fx.start_server();
    console.wait_for("The server is back");
    assert!(!fx.token_works(&token), "the session is ended on the server");
    console.type_keys("\x03");
    console.wait_exit();
}

/// `POST agent/events` with `key`, as an agent sends it: one new vulnerability in `environment`.
fn report_with_key(fx: &Fixture, key: &str, environment: &str, id: &str) -> reqwest::StatusCode {
    fx.runtime.block_on(async {
        let body = serde_json::json!({
            "environment": environment,
            "events": [{
                "id": id, "type": "new_vulnerability", "application": "Pty Shop",
                "title": "SQL injection in login", "severity": "high", "rule": "sql-injection",
            }],
        });
        reqwest::Client::new()
            .post(format!("{}{}", fx.url, orgdeck_shared::routes::AGENT_EVENTS))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    })
}

#[test]
fn a_person_makes_an_agent_key_for_production_an_agent_reports_with_it_and_a_revoked_key_stops() {
    let fx = Fixture::new("Pty Agents Org");
    let mut console = fx.console();
    console.type_keys(":agent keys\r");
    console.wait_for("not issued yet");
    console.type_keys("a");
    console.wait_for("Name (unique");
    console.type_keys("shop-prod\r");
    console.wait_for("Only for one environment?");
    console.type_keys("production\r");
    console.wait_for("It will not be shown again.");
    let key = console.api_key();
    console.press("\x1b");
    console.wait_for("shop-prod");

    assert_eq!(
        report_with_key(&fx, &key, "production", "pty-1"),
        reqwest::StatusCode::OK
    );
    assert_eq!(
        report_with_key(&fx, &key, "qa", "pty-2"),
        reqwest::StatusCode::FORBIDDEN,
        "a key limited to production reports for production only"
    );
    // The key opens nothing but agent/*.
    assert_eq!(me_with_key(&fx, &key).0, reqwest::StatusCode::UNAUTHORIZED);

    // Revoke it: asked first, then the agent is refused.
    console.type_keys("j");
    console.type_keys("d");
    console.wait_for("Revoke agent key shop-prod");
    console.type_keys("y");
    console.wait_for("Revoked agent key shop-prod");
    assert_eq!(
        report_with_key(&fx, &key, "production", "pty-3"),
        reqwest::StatusCode::UNAUTHORIZED
    );
    console.type_keys("q");
    assert!(console.wait_exit().success());
}

/// What a receiver got: each request's `webhook-id` and body.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A webhook receiver on loopback: every request's `webhook-id` and body, answered 204.
fn webhook_receiver(fx: &Fixture) -> (String, Received) {
    let got: Received = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
        let seen = seen.clone();
        async move {
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            seen.lock().unwrap().push((id, body));
            axum::http::StatusCode::NO_CONTENT
        }
    });
    let listener = fx
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/orgdeck", listener.local_addr().unwrap());
    fx.runtime.spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[test]
fn a_person_adds_a_webhook_tests_it_and_sees_an_agents_event_delivered_and_in_the_inbox() {
    let fx = Fixture::with("Pty Hooks Org", |c| c.outbound.allow_private_targets = true);
    let (url, received) = webhook_receiver(&fx);
    let mut console = fx.console();

    // Add the webhook in the console: kind, name, URL, save.
    console.type_keys(":integrations\r");
    console.wait_for("No integrations yet");
    console.type_keys("a");
    console.wait_for("Add an integration");
    console.type_keys("jjjjj\r");
    console.wait_for("Add Webhook");
    console.type_keys("\rSIEM hook\r");
    console.type_keys("jj\r");
    console.type_keys(&url);
    console.type_keys("\r");
    console.press("\x13"); // ctrl-s
    console.wait_for("Added SIEM hook");

    // Test it for real: the receiver gets a test.ping.
    console.type_keys("t");
    console.wait_for("It works.");
    assert!(
        received
            .lock()
            .unwrap()
            .iter()
            .any(|(_, body)| body.contains("test.ping"))
    );
    console.press("\x1b");

    // New vulnerabilities go to it (the Notifications area has its own test), and an agent reports one.
    let client = fx.client();
    let hook = fx
        .runtime
        .block_on(client.send::<orgdeck_shared::integrations::endpoints::List>(&(), &(), &()))
        .unwrap()
        .into_iter()
        .find(|i| i.name == "SIEM hook")
        .expect("the webhook the console added");
    let doc = fx
        .runtime
        .block_on(client.send::<Get<orgdeck_shared::notifications::NotificationSettings>>(&(), &(), &()))
        .unwrap();
    let mut defaults = doc.value;
    defaults.new_vulnerability.channels = vec![hook.id];
    fx.runtime
        .block_on(
            client.send_versioned::<orgdeck_shared::settings::endpoints::Put<orgdeck_shared::notifications::NotificationSettings>>(
                &(),
                &(),
                &defaults,
                Some(doc.version),
            ),
        )
        .unwrap();
    let key = fx
        .runtime
        .block_on(client.send::<orgdeck_shared::agents::endpoints::CreateKey>(
            &(),
            &(),
            &orgdeck_shared::agents::CreateAgentKey {
                name: "pty-agent".into(),
                environment: None,
            },
        ))
        .unwrap()
        .key;
    assert_eq!(
        report_with_key(&fx, key.expose(), "production", "pty-hook-1"),
        reqwest::StatusCode::OK
    );

    // The delivery in the webhook's log, and the receiver got the event once.
    console.type_keys("D");
    console.wait_for("Deliveries to SIEM hook");
    console.wait_for("delivered");
    console.wait_for("High vulnerability in Pty Shop");
    let events: Vec<(String, String)> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, body)| body.contains("new_vulnerability"))
        .cloned()
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    // Enter shows every attempt and the webhook-id the receiver got.
    console.type_keys("\r");
    console.wait_for(&format!("webhook-id {}", events[0].0));
    console.press("\x1b");

    // The entry in the inbox, unread in the status line; opened, it is read.
    console.wait_for("1 unread");
    console.type_keys(":inbox\r");
    console.wait_for("Inbox (1 unread)");
    console.wait_for("High vulnerability in Pty Shop: SQL injection in login");
    console.type_keys("\r");
    console.wait_for("Severity: high");
    console.press("\x1b");
    console.wait_for("Inbox ");
    console.type_keys("q");
    assert!(console.wait_exit().success());
}

/// `POST agent/register` with `key`, as an agent sends it.
fn register_agent(fx: &Fixture, key: &str, name: &str, environment: &str) -> orgdeck_shared::servers::Registration {
    fx.runtime.block_on(async {
        let body = serde_json::json!({
            "name": name, "hostname": format!("{name}.dc1.pty.example"), "environment": environment,
            "language": "java", "agent_version": "4.3.1",
        });
        let resp = reqwest::Client::new()
            .post(format!("{}{}", fx.url, orgdeck_shared::routes::AGENT_REGISTER))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        resp.json().await.unwrap()
    })
}

#[test]
fn a_person_turns_on_auto_licensing_and_an_agent_that_registers_appears_licensed_in_the_servers_area() {
    let fx = Fixture::new("Pty Servers Org");
    // The operator bought two protect licenses.
    orgdeck_server::orgs::transaction(&fx.db, |c| {
        orgdeck_server::store::ops::insert_license(
            c,
            fx.org.org_id,
            orgdeck_shared::licensing::LicenseKind::Protect,
            2,
            jiff::civil::date(2099, 12, 31),
            jiff::Timestamp::now(),
        )?;
        Ok(())
    })
    .unwrap();
    let mut console = fx.console();
    // General: "Auto-license new servers" is the sixth field (production is its default environment).
    console.type_keys("jjjjj");
    console.type_keys("\r");
    console.wait_for("[x] on");
    console.type_keys("s");
    console.wait_for("Saved");
    console.type_keys(":servers\r");
    console.wait_for("No server yet");

    // An agent registers over HTTP with a key the admin made.
    let client = fx.client();
    let key = fx
        .runtime
        .block_on(client.send::<orgdeck_shared::agents::endpoints::CreateKey>(
            &(),
            &(),
            &orgdeck_shared::agents::CreateAgentKey {
                name: "fleet".into(),
                environment: None,
            },
        ))
        .expect("an agent key")
        .key
        .expose()
        .to_owned();
    let reg = register_agent(&fx, &key, "web-pty-01", "production");
    assert!(reg.license.licensed, "{}", reg.license.reason);

    // The console hears of it and shows it, licensed, without a key pressed.
    console.wait_for("web-pty-01");
    let row = console
        .contents()
        .lines()
        .find(|l| l.contains("web-pty-01"))
        .unwrap()
        .to_owned();
    assert!(
        row.contains("production") && row.contains("online") && row.contains("protect"),
        "{row}"
    );

    // A development agent is not covered: it appears unlicensed; + gives it the last license.
    register_agent(&fx, &key, "dev-pty-02", "development");
    console.wait_for("dev-pty-02");
    console.type_keys("+");
    console.wait_for("Protect license applied to dev-pty-02");
    // None left: the General area's bar says so.
    console.type_keys(":general\r");
    console.wait_for("2 used");
    console.type_keys("q");
    assert!(console.wait_exit().success());
}

#[test]
fn a_person_raises_a_score_weight_and_sees_the_grade_change_in_the_preview_before_saving() {
    let fx = Fixture::new("Pty Scores Org");
    let client = fx.client();
    let key = fx
        .runtime
        .block_on(client.send::<orgdeck_shared::agents::endpoints::CreateKey>(
            &(),
            &(),
            &orgdeck_shared::agents::CreateAgentKey {
                name: "scanner".into(),
                environment: None,
            },
        ))
        .expect("an agent key")
        .key
        .expose()
        .to_owned();
    // One critical and one high finding: custom code 100 - 20 - 10 = 70, no libraries: a C.
    let status = fx.runtime.block_on(async {
        let event = |id: &str, severity: &str| {
            serde_json::json!({
                "id": id, "type": "new_vulnerability", "application": "pty-ledger", "title": format!("{severity} one"),
                "severity": severity, "rule": "sql-injection",
            })
        };
        reqwest::Client::new()
            .post(format!("{}{}", fx.url, orgdeck_shared::routes::AGENT_EVENTS))
            .bearer_auth(&key)
            .json(&serde_json::json!({ "events": [event("v1", "critical"), event("v2", "high")] }))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, reqwest::StatusCode::OK);
    let mut console = fx.console();
    console.type_keys(":scores\r");
    console.wait_for("no grade changes");
    // The applications come in their own request, which may answer after the weights.
    console.wait_for("pty-ledger");
    let row = |c: &Console| {
        c.contents()
            .lines()
            .find(|l| l.contains("pty-ledger"))
            .unwrap()
            .to_owned()
    };
    assert!(row(&console).contains("70 C      70 C"), "{}", row(&console));
    // The critical weight is the fourth field: 40 instead of 20 makes it 50, an F, as it is typed.
    console.type_keys("jjj\r");
    console.type_keys("\x15"); // ctrl-u clears the field
    console.type_keys("40");
    // "4" alone already changes the grade (86, a B): wait for the whole value's preview.
    console.wait_for("70 C      50 F");
    console.wait_for("1 grade changes");
    let changed = row(&console);
    assert!(
        changed.starts_with("│* pty-ledger") && changed.contains("70 C      50 F"),
        "{changed}"
    );
    // Nothing is saved yet.
    let saved = fx
        .runtime
        .block_on(client.send::<Get<orgdeck_shared::scores::ScoreSettings>>(&(), &(), &()))
        .unwrap();
    assert_eq!(saved.value.weights.critical, 20.0);
    // Saved, the grade now is the new one.
    console.type_keys("\r");
    console.type_keys("s");
    console.wait_for("Saved score settings");
    console.wait_for("no grade changes");
    assert!(row(&console).contains("50 F      50 F"), "{}", row(&console));
    console.type_keys("q");
    assert!(console.wait_exit().success());
}
