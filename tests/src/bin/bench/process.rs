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
        Self::orgdeck_on(bin, data_dir, None, log)
    }

    /// Likewise, on the PostgreSQL `database` when given (`ORGDECK_DATABASE_URL`, with the bench's key).
    pub fn orgdeck_on(bin: &Path, data_dir: &Path, database: Option<&str>, log: &Path) -> Result<Self> {
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("ORGDECK_CONFIG")
            .env_remove("ORGDECK_DATABASE_URL")
            .env_remove("RUST_LOG");
        if let Some(url) = database {
            cmd.env("ORGDECK_DATABASE_URL", url)
                .env("ORGDECK_SECRET_KEY", orgdeck_tests::fixture::PG_SECRET_KEY_BASE64);
        }
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
    let ticks = cpu_ticks(&stat).with_context(|| format!("{path}: {stat:?}"))?;
    Ok(Duration::from_secs_f64(ticks as f64 / clock_tick()? as f64))
}

/// `utime + stime` of a `/proc/PID/stat` line, in clock ticks.
fn cpu_ticks(stat: &str) -> Result<u64> {
    // The command name (field 2) is in parentheses and may hold spaces and parentheses: fields are
    // counted after its last `)`.
    let rest = stat.rfind(')').map(|i| &stat[i + 1..]).context("no command name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let field = |n: usize, name: &str| -> Result<u64> {
        let text = fields.get(n - 3).with_context(|| format!("no {name} (field {n})"))?;
        text.parse().with_context(|| format!("{name} {text:?} is not a number"))
    };
    Ok(field(14, "utime")? + field(15, "stime")?)
}

/// Raises this process's soft limit of open files (`RLIMIT_NOFILE`) to `needed` when it is lower, as far
/// as the hard limit allows; fails when the hard limit is lower. Returns the soft limit now in force.
/// Processes started afterwards inherit it.
pub fn raise_open_file_limit(needed: u64) -> Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        bail!("getrlimit(RLIMIT_NOFILE): {}", std::io::Error::last_os_error());
    }
    if limit.rlim_cur >= needed {
        return Ok(limit.rlim_cur);
    }
    if limit.rlim_max < needed {
        bail!(
            "{needed} open files needed, and the hard limit is {} (raise it, e.g. ulimit -Hn)",
            limit.rlim_max
        );
    }
    limit.rlim_cur = needed;
    // SAFETY: setrlimit only reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        bail!(
            "setrlimit(RLIMIT_NOFILE, {needed}): {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(needed)
}

/// The soft limit of open files of the process `pid`, from `/proc/PID/limits`.
pub fn open_file_limit(pid: u32) -> Result<String> {
    let path = format!("/proc/{pid}/limits");
    let limits = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .with_context(|| format!("no \"Max open files\" in {path}"))?;
    let soft = line["Max open files".len()..]
        .split_whitespace()
        .next()
        .with_context(|| format!("{path}: {line:?}"))?;
    Ok(soft.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (tokio (rt) worker) S 1 4242 4242 0 -1 4194560 500 0 0 0 37 5 0 0 20 0 11 0 100 0 0";
        assert_eq!(cpu_ticks(stat).unwrap(), 42);
    }

    #[test]
    fn a_stat_line_cut_short_is_an_error_naming_the_field() {
        let err = cpu_ticks("4242 (orgdeck) S 1 4242 4242 0 -1 4194560 500 0 0 0 37").unwrap_err();
        assert!(format!("{err:#}").contains("stime"), "{err:#}");
    }

    #[test]
    fn a_process_that_is_gone_is_an_error_not_a_panic() {
        // Above the kernel's pid_max (at most 2^22): never a live process.
        let err = process_cpu(u32::MAX).unwrap_err();
        assert!(
            format!("{err:#}").contains(&format!("/proc/{}/stat", u32::MAX)),
            "{err:#}"
        );
    }

    #[test]
    fn this_process_cpu_time_grows_while_it_works() {
        let me = std::process::id();
        let before = process_cpu(me).unwrap();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        // Works until the reading moves (a clock tick or two of CPU), for at most 10 s.
        while process_cpu(me).unwrap() == before && start.elapsed() < Duration::from_secs(10) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        }
        assert!(
            process_cpu(me).unwrap() > before,
            "no CPU time counted after 10 s of work"
        );
    }
}
