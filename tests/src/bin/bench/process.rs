//! Servers measured in their own processes, and what `/proc` says about a process's CPU time.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, Result, bail};

/// A server in its own process that printed "listening on http://ADDR" on stdout; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// `orgdeck-server serve` over `data_dir` on 127.0.0.1 with a port of its choosing, everything else as
    /// shipped (no configuration file, the default log level); its log goes to `log`.
    pub fn orgdeck(bin: &Path, data_dir: &Path, log: &Path) -> Result<Self> {
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("ORGDECK_CONFIG")
            .env_remove("RUST_LOG");
        Self::spawn(cmd, log)
    }

    /// Starts `cmd` with its stderr in `log` and waits until it says where it listens.
    pub fn spawn(mut cmd: Command, log: &Path) -> Result<Self> {
        let log_file = std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("start {:?}", cmd.get_program()))?;
        let stdout = child.stdout.take().context("server stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let Ok(url) = rx.recv_timeout(Duration::from_secs(60)) else {
            let said = std::fs::read_to_string(log).unwrap_or_default();
            bail!(
                "{:?} did not say where it listens within 60 s; its log: {said}",
                cmd.get_program()
            );
        };
        server.addr = url
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .with_context(|| format!("cannot read an address in {url:?}"))?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) the whole process `pid` has used so far: `utime + stime` of `/proc/PID/stat`,
/// which counts every thread, those that ended included, in clock ticks (`sysconf(_SC_CLK_TCK)`).
pub fn process_cpu(pid: u32) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
    let rest = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .with_context(|| format!("{path} has no command name"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let field = |n: usize, name: &str| -> Result<u64> {
        let text = fields
            .get(n - 3)
            .with_context(|| format!("{path} has no {name} (field {n})"))?;
        text.parse()
            .with_context(|| format!("{path}: {name} {text:?} is not a number"))
    };
    let ticks = field(14, "utime")? + field(15, "stime")?;
    Ok(Duration::from_secs_f64(ticks as f64 / clock_tick()? as f64))
}

/// The unit of the CPU times read, for a figure's context.
pub fn cpu_unit() -> String {
    match clock_tick() {
        Ok(hz) => format!("in ticks of 1/{hz} s, sysconf(_SC_CLK_TCK)"),
        Err(e) => format!("{e:#}"),
    }
}

/// Clock ticks per second, the unit of the CPU times in `/proc`.
fn clock_tick() -> Result<u64> {
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz <= 0 {
        bail!("sysconf(_SC_CLK_TCK) failed: {}", std::io::Error::last_os_error());
    }
    Ok(hz as u64)
}
