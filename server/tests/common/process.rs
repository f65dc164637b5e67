//! The real `orgdeck-server` binary in processes of its own, as an operator runs it.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, Command, Stdio},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_orgdeck-server");

/// `orgdeck-server serve` on a free port with `data_dir`, the environment `env` (and no configuration
/// file unless `config`); the process and its base URL, read from its first line.
pub fn serve(data_dir: &Path, config: Option<&Path>, env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(BIN);
    command.env_remove("ORGDECK_CONFIG").env_remove("ORGDECK_DATABASE_URL");
    if let Some(config) = config {
        command.env("ORGDECK_CONFIG", config);
    }
    command.envs(env.iter().copied());
    let mut child = command
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0", "--log-level", "warn"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start orgdeck-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the first line");
    let url = line.trim().rsplit(' ').next().expect("an address").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line {line:?}");
    (child, url)
}

/// `orgdeck-server init` of organization `org` with `admin_email` (the password on stdin), on the data
/// directory `data_dir` or the database the environment `env` names.
pub fn init(data_dir: Option<&Path>, env: &[(&str, &str)], org: &str, admin_email: &str, password: &str) {
    let mut command = Command::new(BIN);
    command
        .env_remove("ORGDECK_CONFIG")
        .env_remove("ORGDECK_DATABASE_URL")
        .envs(env.iter().copied())
        .arg("init");
    if let Some(dir) = data_dir {
        command.arg("--data-dir").arg(dir);
    }
    let mut init = command
        .args(["--org", org, "--admin-email", admin_email])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    init.stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(init.wait().unwrap().success(), "init reads the password from stdin");
}
