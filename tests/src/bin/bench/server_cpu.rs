//! S1: server CPU time per request of a bare hyper "hello" server over that of `orgdeck-server serve`
//! answering a round-robin of `GET me` and `GET settings/{area}` over every settings area it serves. Each
//! server runs in its own process and its CPU time (utime + stime of `/proc/PID/stat`) is read around the
//! measured window, so the load generator's own cost, on the same machine, does not enter the figure.
//! The same client (64 keep-alive connections, the same requests) loads both, in alternating rounds.

use std::{process::Command, time::Duration};

use anyhow::{Context, Result, bail};
use orgdeck_server::SystemClock;
use orgdeck_shared::routes;
use orgdeck_tests::{
    fixture::{ADMIN_EMAIL, ADMIN_PASSWORD, ORG_NAME, login},
    pty::{built_binary, server_binary},
};
use reqwest::StatusCode;

use super::{
    Bar, CONCURRENCY, Figure, MIN_ROUND_SECS, Options, Window, build_binary, load_round_robin, median_f64,
    process::{ServerProcess, cpu_unit},
};

const HELLO_BIN: &str = "hello-server";
const HELLO_BIN_ENV: &str = "ORGDECK_HELLO_BIN";

pub async fn s1_server_cpu_per_request(opts: &Options) -> Result<Figure> {
    // Five short alternating rounds rather than three long ones: other work on the shared machine comes in
    // bursts, and a burst then spoils one pair of five instead of one of three.
    let rounds = 5;
    // At least 3 s a round: CPU time is read in ticks of 10 ms, and a 600 ms round (the default
    // `--seconds 3` over five) left the ratio to a few ticks (runs of it ranged 0.29 to 0.42).
    let duration = Duration::from_secs_f64((opts.seconds / rounds as f64).max(MIN_ROUND_SECS));
    build_binary("orgdeck-server", "orgdeck-server", "ORGDECK_SERVER_BIN")?;
    build_binary("orgdeck-tests", HELLO_BIN, HELLO_BIN_ENV)?;
    let data_dir = tempfile::tempdir()?;
    orgdeck_server::init_org(data_dir.path(), ORG_NAME, ADMIN_EMAIL, ADMIN_PASSWORD, &SystemClock)?;
    let log = |name: &str| data_dir.path().join(name);
    let server = ServerProcess::orgdeck(&server_binary()?, data_dir.path(), &log("server.log"))?;
    let hello = ServerProcess::spawn(Command::new(built_binary(HELLO_BIN, HELLO_BIN_ENV)?), &log("hello.log"))?;
    let http = reqwest::Client::new();
    let base = format!("http://{}", server.addr);
    let token = login(&http, &base, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let (paths, not_served) = request_mix(&http, &base, &token).await?;
    let (mut on_server, mut on_hello) = (Totals::default(), Totals::default());
    let mut ratios = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so a drift in the machine's load hits both alike.
        let order = if round % 2 == 0 {
            [&hello, &server]
        } else {
            [&server, &hello]
        };
        let mut per_request = [Duration::ZERO; 2];
        for target in order {
            let window = load_round_robin(target.addr, &paths, Some(&token), duration, Some(target.pid())).await?;
            let is_hello = std::ptr::eq(target, &hello);
            let totals = if is_hello { &mut on_hello } else { &mut on_server };
            per_request[usize::from(is_hello)] = totals.add(&window, target.pid())?;
        }
        ratios.push(per_request[1].as_secs_f64() / per_request[0].as_secs_f64());
    }
    drop((server, hello));
    let (server_cpu, hello_cpu) = (on_server.per_request(), on_hello.per_request());
    let spread = ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", ");
    Ok(Figure {
        id: "S1",
        what: "server CPU per request: bare hyper / orgdeck-server",
        value: median_f64(&mut ratios),
        bar: Bar::AtLeast(0.3),
        context: format!(
            "orgdeck-server serve {:.1} us CPU a request at {:.0} req/s, hello {:.1} us at {:.0} req/s (each in its \
             own process, /proc/PID/stat {}); round-robin of {} paths: me and settings/{{{}}}{}; {CONCURRENCY} \
             keep-alive connections; median ratio of {rounds} alternating rounds of {duration:.1?} ({spread}; over all \
             rounds {:.3}); aim 0.5",
            micros(server_cpu),
            on_server.rate(),
            micros(hello_cpu),
            on_hello.rate(),
            cpu_unit(),
            paths.len(),
            served_areas(&paths).join(","),
            if not_served.is_empty() {
                String::new()
            } else {
                format!(" ({} answer 404: no document yet)", not_served.join(", "))
            },
            hello_cpu.as_secs_f64() / server_cpu.as_secs_f64(),
        ),
    })
}

/// `GET me` and `GET settings/{area}` for every area of the shared contract that the server answers 200;
/// the areas it answers 404 ("no settings area yet") are returned apart. Any other answer fails the figure.
pub async fn request_mix(http: &reqwest::Client, base: &str, token: &str) -> Result<(Vec<String>, Vec<&'static str>)> {
    let mut paths = vec![routes::ME.to_owned()];
    let mut not_served = Vec::new();
    for area in routes::area::ALL {
        let path = routes::settings(area);
        let status = http
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?
            .status();
        match status {
            StatusCode::OK => paths.push(path),
            StatusCode::NOT_FOUND => not_served.push(area),
            other => bail!("GET {path} answered {other}"),
        }
    }
    Ok((paths, not_served))
}

/// The areas among `paths`, for the figure's context.
fn served_areas(paths: &[String]) -> Vec<&str> {
    let prefix = routes::settings("");
    paths.iter().filter_map(|p| p.strip_prefix(prefix.as_str())).collect()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Requests answered, their time and the server's CPU time, over the rounds of one server.
#[derive(Default)]
struct Totals {
    done: u64,
    elapsed: Duration,
    cpu: Duration,
}

impl Totals {
    /// Adds a measured window of the server `pid`; returns its CPU time a request.
    fn add(&mut self, window: &Window, pid: u32) -> Result<Duration> {
        let cpu = window
            .cpu
            .with_context(|| format!("no CPU time read for process {pid}"))?;
        if window.done == 0 {
            bail!("process {pid} answered no request in {:.1?}", window.elapsed);
        }
        self.done += window.done;
        self.elapsed += window.elapsed;
        self.cpu += cpu;
        Ok(cpu / window.done as u32)
    }

    fn per_request(&self) -> Duration {
        self.cpu / self.done.max(1) as u32
    }

    fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }
}
