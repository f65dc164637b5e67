//! T6: key press to the frame that shows it, while a request is in flight to a server that answers after
//! 300 ms (a slow link over SSH).
//!
//! The real console binary runs in a pty against a real server, through a proxy in this process that holds
//! every chunk the server sends back for 300 ms before passing it on: every answer (and the live-update
//! stream) reaches the console 300 ms after the server sent it. The console starts on the General tab;
//! each round presses `r` (the tab reads its settings and licenses again: two requests), waits until the
//! proxy holds a request, and then, while the answers are still on their way, presses keys whose effect
//! needs no answer: `j` `j` `k` `k` move the focus through the form (`> Date format`, ...) and `?` `?`
//! open and close the help. Each press is timed from writing its bytes to the pty until the screen parsed
//! from the console's output shows its effect (woken by each chunk of output, not polled).

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use orgdeck_tests::{fixture::TestServer, pty::PtyApp};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::mpsc,
};

use super::{Bar, ConsoleHome, Figure, build_console, median_at};

/// How late every answer arrives.
const ANSWER_DELAY: Duration = Duration::from_millis(300);
/// Rounds of `r` and the presses that follow it.
const ROUNDS: usize = 12;
const BAR_MS: f64 = 50.0;

/// A key pressed while the reload is in flight, and what the screen shows once the console has drawn it.
struct Step {
    key: &'static [u8],
    what: &'static str,
    shows: fn(&str) -> bool,
}

/// The focus marker of the General form on the field `label`.
fn focus_on(screen: &str, label: &str) -> bool {
    screen.contains(&format!("> {label} "))
}

const STEPS: [Step; 6] = [
    Step {
        key: b"j",
        what: "the focus on Date format",
        shows: |s| focus_on(s, "Date format"),
    },
    Step {
        key: b"j",
        what: "the focus on Time format",
        shows: |s| focus_on(s, "Time format"),
    },
    Step {
        key: b"k",
        what: "the focus back on Date format",
        shows: |s| focus_on(s, "Date format"),
    },
    Step {
        key: b"k",
        what: "the focus back on Name",
        shows: |s| focus_on(s, "Name"),
    },
    Step {
        key: b"?",
        what: "the help open",
        shows: |s| s.contains("Log file"),
    },
    Step {
        key: b"?",
        what: "the help closed",
        shows: |s| !s.contains("Log file"),
    },
];

/// One timed press.
struct Press {
    /// The `?` help, not a move of the form's focus.
    help: bool,
    time: Duration,
    /// The proxy held a request that had not been answered yet when the key was written.
    in_flight_at_press: bool,
    /// ... and still when the screen showed the key's effect.
    in_flight_at_frame: bool,
}

/// What one round of presses saw.
struct Round {
    presses: Vec<Press>,
    /// From writing `r` to the first of its requests reaching the proxy.
    request_out: Duration,
    /// From writing `r` to the last press's effect on screen.
    presses_done: Duration,
    /// From writing `r` to the last of its answers reaching the console.
    answered: Duration,
    /// Requests the round sent (the reload's; the timed keys send none).
    requests: u64,
}

pub async fn t6_keys_while_in_flight() -> Result<Figure> {
    let (what, bar) = (
        "key to frame, a request in flight, 300 ms answers (ms)",
        Bar::AtMost(BAR_MS),
    );
    let bin = build_console()?;
    let server = TestServer::start().await?;
    let token = server.admin_token().await?;
    let link = SlowLink::start(server.handle.addr, ANSWER_DELAY).await?;
    let home = ConsoleHome::at_url(&bin, &format!("http://{}", link.addr), &token)?;
    let env: Vec<(String, String)> = home.env().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let state = link.state.clone();
    // The pty is read and waited on in a thread of its own: the runtime's workers stay free for the proxy
    // and the server.
    let rounds = tokio::task::spawn_blocking(move || -> Result<Vec<Round>> {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut app = PtyApp::spawn(&bin, &["--profile", "bench"], &env, 80, 24)?;
        let result = run_rounds(&mut app, &state);
        app.send(b"q")?;
        let _ = app.wait_exit(Duration::from_secs(5));
        result
    })
    .await??;
    let connections = link.state.connections.load(Ordering::SeqCst);
    drop(link);
    server.stop().await;

    let presses: Vec<&Press> = rounds.iter().flat_map(|r| &r.presses).collect();
    let held: Vec<Duration> = presses
        .iter()
        .filter(|p| p.in_flight_at_press)
        .map(|p| p.time)
        .collect();
    let not_in_flight = presses.len() - held.len();
    let still_in_flight = presses
        .iter()
        .filter(|p| p.in_flight_at_press && p.in_flight_at_frame)
        .count();
    if held.is_empty() {
        return Ok(Figure::not_measured(
            "T6",
            what,
            bar,
            format!("none of {} presses found a request in flight", presses.len()),
        ));
    }
    let in_flight = held.len();
    let mut times = held;
    let p95 = median_at(&mut times, 0.95);
    let (p50, p99, max) = (
        median_at(&mut times, 0.5),
        median_at(&mut times, 0.99),
        times[times.len() - 1],
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let of_kind = |help: bool| {
        let mut v: Vec<Duration> = presses
            .iter()
            .filter(|p| p.in_flight_at_press && p.help == help)
            .map(|p| p.time)
            .collect();
        if v.is_empty() {
            return (f64::NAN, f64::NAN); // none of this kind found a request in flight
        }
        let p50 = median_at(&mut v, 0.5);
        (ms(p50), ms(v[v.len() - 1]))
    };
    let (moves_p50, moves_max) = of_kind(false);
    let (help_p50, help_max) = of_kind(true);
    let span = |f: fn(&Round) -> Duration| {
        let mut v: Vec<Duration> = rounds.iter().map(f).collect();
        v.sort();
        (v[0], v[v.len() - 1])
    };
    let (out_lo, out_hi) = span(|r| r.request_out);
    let (done_lo, done_hi) = span(|r| r.presses_done);
    let (ans_lo, ans_hi) = span(|r| r.answered);
    let (req_lo, req_hi) = (
        rounds.iter().map(|r| r.requests).min().unwrap_or(0),
        rounds.iter().map(|r| r.requests).max().unwrap_or(0),
    );
    Ok(Figure {
        id: "T6",
        what,
        value: ms(p95),
        bar,
        context: format!(
            "p95 held to the bar; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} presses (j j k k moving the General \
             form's focus: p50 {:.1} ms, max {:.1} ms; ? ? opening and closing the help: p50 {:.1} ms, max {:.1} ms) \
             in {ROUNDS} rounds of r (reload: {req_lo}-{req_hi} requests), 80x24 pty, the release console; a proxy holds every chunk the server sends for \
             {ANSWER_DELAY:?} (requests and connects not delayed; {connections} connections, the live-update stream \
             among them); {} of {} presses had a request in flight when written, {still_in_flight} still when \
             their frame showed{}; r's first request reached the proxy {:.1}-{:.1} ms after r, the presses were \
             done {:.1}-{:.1} ms after r, its answers reached the console {:.0}-{:.0} ms after r; timed from writing \
             the key to the pty until the parsed screen shows its effect (woken per chunk of output)",
            ms(p50),
            ms(p99),
            ms(max),
            in_flight,
            moves_p50,
            moves_max,
            help_p50,
            help_max,
            in_flight,
            presses.len(),
            if not_in_flight > 0 {
                format!(" ({not_in_flight} without one are left out)")
            } else {
                String::new()
            },
            ms(out_lo),
            ms(out_hi),
            ms(done_lo),
            ms(done_hi),
            ms(ans_lo),
            ms(ans_hi),
        ),
    })
}

/// Waits for the console's first frame with data and for the live-update stream, then runs the rounds.
fn run_rounds(app: &mut PtyApp, link: &LinkState) -> Result<Vec<Round>> {
    // "Created" is on the General tab once the organization's data is there.
    app.wait_for("Created", Duration::from_secs(20))?;
    // Every request of the start (and the stream's opening) answered, then a moment of quiet.
    settle(link)?;
    if !focus_on(&app.screen(), "Name") {
        bail!(
            "the General form's focus is not on Name; the screen shows:\n{}",
            app.screen()
        );
    }
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        rounds.push(round(app, link)?);
    }
    Ok(rounds)
}

/// `r`, then every step while its answers are on their way, then waits for them.
fn round(app: &mut PtyApp, link: &LinkState) -> Result<Round> {
    let requests_before = link.requests.load(Ordering::SeqCst);
    let start = Instant::now();
    app.send(b"r")?;
    wait(
        Duration::from_secs(2),
        "the reload's first request at the proxy",
        || link.pending() > 0,
    )?;
    let request_out = start.elapsed();
    let mut presses = Vec::new();
    for step in &STEPS {
        let help = step.key == b"?";
        let in_flight_at_press = link.pending() > 0;
        let pressed = Instant::now();
        app.send(step.key)?;
        app.wait_until_parsed(step.what, Duration::from_secs(10), step.shows)?;
        let time = pressed.elapsed();
        presses.push(Press {
            help,
            time,
            in_flight_at_press,
            in_flight_at_frame: link.pending() > 0,
        });
    }
    let presses_done = start.elapsed();
    wait(Duration::from_secs(10), "the reload's answers", || link.pending() == 0)?;
    let answered = start.elapsed();
    settle(link)?;
    Ok(Round {
        presses,
        request_out,
        presses_done,
        answered,
        requests: link.requests.load(Ordering::SeqCst) - requests_before,
    })
}

/// Waits until no request is in flight and none has started for 200 ms.
fn settle(link: &LinkState) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut quiet_since = Instant::now();
    let mut seen = link.requests.load(Ordering::SeqCst);
    loop {
        let now = link.requests.load(Ordering::SeqCst);
        if now != seen || link.pending() > 0 {
            seen = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(200) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the console's requests did not settle (pending {})", link.pending());
        }
        thread::sleep(Duration::from_millis(1));
    }
}

fn wait(timeout: Duration, what: &str, done: impl Fn() -> bool) -> Result<()> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > timeout {
            bail!("waited {timeout:?} for {what}");
        }
        thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// What the proxy counts.
#[derive(Default)]
struct LinkState {
    /// Connections holding a request whose answer has not begun to reach the console.
    pending: AtomicU64,
    /// Requests seen: a connection's first bytes from the console since its last answer.
    requests: AtomicU64,
    connections: AtomicU64,
}

impl LinkState {
    fn pending(&self) -> u64 {
        self.pending.load(Ordering::SeqCst)
    }
}

/// A TCP proxy on 127.0.0.1 in front of `upstream` whose answers arrive `delay` late: every chunk the
/// server sends is passed on `delay` after the proxy read it (in order); what the console sends goes on
/// at once. A request is in flight from its first byte reaching the proxy until the first byte of its
/// answer reaches the console (HTTP/1.1: one request at a time per connection).
struct SlowLink {
    addr: SocketAddr,
    state: Arc<LinkState>,
    task: tokio::task::JoinHandle<()>,
}

impl SlowLink {
    async fn start(upstream: SocketAddr, delay: Duration) -> Result<SlowLink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(LinkState::default());
        let s = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = s.clone();
                tokio::spawn(async move {
                    // A connection that breaks ends; the console sees it as the server would show it.
                    let _ = relay(client, upstream, &state, delay).await;
                });
            }
        });
        Ok(SlowLink { addr, state, task })
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, state: &LinkState, delay: Duration) -> Result<()> {
    let server = TcpStream::connect(upstream).await.context("connect upstream")?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    state.connections.fetch_add(1, Ordering::SeqCst);
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    let awaiting = AtomicBool::new(false);
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = client_rd.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            if !awaiting.swap(true, Ordering::SeqCst) {
                state.pending.fetch_add(1, Ordering::SeqCst);
                state.requests.fetch_add(1, Ordering::SeqCst);
            }
            server_wr.write_all(&buf[..n]).await?;
        }
        server_wr.shutdown().await?;
        anyhow::Ok(())
    };
    // Each chunk (None: the server closed) with the moment it may go on.
    let (tx, mut rx) = mpsc::unbounded_channel::<(tokio::time::Instant, Option<Vec<u8>>)>();
    let read_answers = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = server_rd.read(&mut buf).await?;
            let due = tokio::time::Instant::now() + delay;
            let chunk = (n > 0).then(|| buf[..n].to_vec());
            if tx.send((due, chunk)).is_err() || n == 0 {
                break;
            }
        }
        anyhow::Ok(())
    };
    let pass_answers = async {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            let Some(chunk) = chunk else { break };
            client_wr.write_all(&chunk).await?;
            if awaiting.swap(false, Ordering::SeqCst) {
                state.pending.fetch_sub(1, Ordering::SeqCst);
            }
        }
        client_wr.shutdown().await?;
        anyhow::Ok(())
    };
    let result = tokio::try_join!(up, read_answers, pass_answers).map(|_| ());
    // A request that will get no answer is no longer in flight.
    if awaiting.swap(false, Ordering::SeqCst) {
        state.pending.fetch_sub(1, Ordering::SeqCst);
    }
    result
}
