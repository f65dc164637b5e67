//! The real `orgdeck` binary in a pseudo-terminal, its screen read back through vt100.

use std::{
    io::{Read, Write},
    num::NonZeroU16,
    path::{Path, PathBuf},
    sync::{Arc, Condvar, Mutex},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, anyhow, bail};
use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

/// A console running in a pseudo-terminal.
pub struct PtyApp {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for checks on raw escape sequences.
    raw: Arc<Mutex<Vec<u8>>>,
    /// Counts the chunks of output parsed so far, and wakes whoever waits for the next one.
    parsed: Arc<(Mutex<u64>, Condvar)>,
    _reader: thread::JoinHandle<()>,
}

impl PtyApp {
    /// Starts `program args...` in a `cols`x`rows` terminal with exactly the environment given (plus PATH, HOME).
    pub fn spawn(program: &Path, args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Result<Self> {
        let system = native_pty_system();
        let pair = system
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| anyhow!("openpty: {e}"))?;
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env_clear();
        for key in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| anyhow!("spawn {}: {e}", program.display()))?;
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().map_err(|e| anyhow!("pty reader: {e}"))?;
        let writer = pair.master.take_writer().map_err(|e| anyhow!("pty writer: {e}"))?;
        let size = |n| NonZeroU16::new(n).expect("terminal size is not zero");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let parsed = Arc::new((Mutex::new(0u64), Condvar::new()));
        let (p, r, c) = (parser.clone(), raw.clone(), parsed.clone());
        let master = pair.master;
        let reader_thread = thread::spawn(move || {
            let _master = master; // keep the pty open while reading
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().expect("parser").process(&buf[..n]);
                r.lock().expect("raw").extend_from_slice(&buf[..n]);
                let (count, wake) = &*c;
                *count.lock().expect("parsed") += 1;
                wake.notify_all();
            }
        });
        Ok(Self {
            child,
            writer,
            parser,
            raw,
            parsed,
            _reader: reader_thread,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// The screen's text, row by row.
    pub fn screen(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    /// How many bytes the program has written so far.
    pub fn bytes_written(&self) -> usize {
        self.raw.lock().expect("raw").len()
    }

    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().expect("raw").clone()
    }

    pub fn alternate_screen(&self) -> bool {
        self.parser.lock().expect("parser").screen().alternate_screen()
    }

    /// Waits until the screen shows `text`; fails with the screen's contents after `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> Result<Duration> {
        self.wait_until(&format!("{text:?} to appear"), timeout, |screen| screen.contains(text))
    }

    /// Waits until `done` holds for the screen's text; fails with `what` and the screen after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> Result<Duration> {
        let start = Instant::now();
        loop {
            if done(&self.screen()) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > timeout {
                bail!("waited {timeout:?} for {what}; the screen shows:\n{}", self.screen());
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Like [`PtyApp::wait_until`], but checks the screen as soon as each chunk of output is parsed instead
    /// of polling: for timings finer than the polling interval.
    pub fn wait_until_parsed(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> Result<Duration> {
        let start = Instant::now();
        let (count, wake) = &*self.parsed;
        loop {
            // Read before looking at the screen: output parsed after the look then ends the wait below.
            let seen = *count.lock().expect("parsed");
            if done(&self.screen()) {
                return Ok(start.elapsed());
            }
            let Some(left) = timeout.checked_sub(start.elapsed()) else {
                bail!("waited {timeout:?} for {what}; the screen shows:\n{}", self.screen());
            };
            let guard = count.lock().expect("parsed");
            drop(wake.wait_timeout_while(guard, left, |n| *n == seen).expect("parsed"));
        }
    }

    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer.write_all(bytes).context("write to pty")?;
        self.writer.flush().context("flush pty")
    }

    /// Waits for the program to exit by itself; kills it after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<bool> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.success());
            }
            thread::sleep(Duration::from_millis(10));
        }
        self.child.kill()?;
        bail!("the program did not exit within {timeout:?}")
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// CPU time a process and all its threads have used, from /proc (nanosecond resolution).
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).context("read /proc task list")? {
        let path = task?.path().join("schedstat");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        }; // the thread just ended
        let ns: u64 = text.split_whitespace().next().unwrap_or("0").parse().unwrap_or(0);
        total += ns;
    }
    Ok(Duration::from_nanos(total))
}

/// Peak resident memory (VmHWM) of a process, in bytes.
pub fn peak_rss(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or_else(|| anyhow!("no VmHWM"))?;
    let kib: u64 = line.split_whitespace().nth(1).unwrap_or("0").parse()?;
    Ok(kib * 1024)
}

/// The freshly built `orgdeck` binary of this profile: beside the running executable's directory.
/// `ORGDECK_BIN` overrides it.
pub fn console_binary() -> Result<PathBuf> {
    built_binary("orgdeck", "ORGDECK_BIN")
}

/// The freshly built `orgdeck-server` binary of this profile, found like the console's.
/// `ORGDECK_SERVER_BIN` overrides it.
pub fn server_binary() -> Result<PathBuf> {
    built_binary("orgdeck-server", "ORGDECK_SERVER_BIN")
}

/// The binary `name` in the directory of the running executable (the target's profile directory, also
/// when run from `deps/`), or the path in `env_override` when that is set.
pub fn built_binary(name: &str, env_override: &str) -> Result<PathBuf> {
    if let Ok(path) = std::env::var(env_override) {
        return std::fs::canonicalize(&path).with_context(|| format!("{env_override}={path}"));
    }
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(name);
    if bin.exists() {
        Ok(bin)
    } else {
        bail!("{} not found: build it with cargo build --bin {name}", bin.display())
    }
}
