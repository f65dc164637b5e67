//! The loop: one `select!` over terminal events, results of background tasks and (only while something
//! animates) a spinner timer. Messages are drained in batches and the screen is drawn once per batch, so
//! an idle console sleeps in the select and uses no CPU.

use std::{
    collections::HashMap,
    io,
    sync::atomic::{AtomicU64, Ordering},
    sync::{Arc, Mutex},
    time::Duration,
};

use crossterm::event::{Event, KeyEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::{CompletedFrame, Terminal, backend::Backend};
use tokio::{
    sync::mpsc::{UnboundedSender, unbounded_channel},
    time::Instant,
};

use crate::{
    api::ApiClient,
    app::{App, Command, Msg},
    credentials::Credentials,
};

const SPINNER_FRAME: Duration = Duration::from_millis(100);

/// Performs commands on tasks and sends their results back as messages.
#[derive(Clone)]
pub struct Runner {
    pub client: ApiClient,
    pub credentials: Credentials,
    tx: UnboundedSender<Msg>,
    /// Pending keyed timers: a new one with the same key aborts the old.
    timers: Arc<Mutex<HashMap<(usize, &'static str), tokio::task::AbortHandle>>>,
    /// Counts logouts: a reply is delivered only if no logout came since its request was sent.
    session: Arc<AtomicU64>,
}

impl Runner {
    pub fn new(client: ApiClient, credentials: Credentials, tx: UnboundedSender<Msg>) -> Runner {
        Runner {
            client,
            credentials,
            tx,
            timers: Arc::default(),
            session: Arc::default(),
        }
    }

    pub fn execute(&self, command: Command) {
        let tx = self.tx.clone();
        match command {
            Command::Api(call) => {
                tracing::debug!(call = call.label, path = %call.path.split('?').next().unwrap_or(""), "call");
                let client = self.client.clone();
                let session = self.session.clone();
                let sent_in = session.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let result = client.perform(&call).await;
                    if session.load(Ordering::SeqCst) == sent_in {
                        let _ = tx.send(Msg::Answer { call, result });
                    } else {
                        tracing::debug!(call = call.label, "dropped: the session ended");
                    }
                });
            }
            Command::Follow { after } => {
                let client = self.client.clone();
                let session = self.session.clone();
                let sent_in = session.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let live = || session.load(Ordering::SeqCst) == sent_in;
                    let result = client
                        .follow(after, |event| live() && tx.send(Msg::Stream(event)).is_ok())
                        .await;
                    if live() {
                        let e = result.err().unwrap_or_else(|| {
                            orgdeck_shared::ApiError::new(orgdeck_shared::ErrorCode::Network, "the stream ended")
                        });
                        let _ = tx.send(Msg::StreamEnded(e));
                    }
                });
            }
            Command::Logout => {
                self.session.fetch_add(1, Ordering::SeqCst);
                // Taken now, so no later request carries it; the logout itself still does.
                let token = self.client.take_token();
                let credentials = self.credentials.clone();
                tokio::task::spawn_blocking(move || credentials.clear());
                let client = self.client.clone();
                tokio::spawn(async move {
                    let Some(token) = token else {
                        let _ = tx.send(Msg::LoggedOut(Ok(())));
                        return;
                    };
                    let unreachable = |r: &Result<(), orgdeck_shared::ApiError>| matches!(r, Err(e) if e.code == orgdeck_shared::ErrorCode::Network);
                    let mut result = client.logout_session(&token).await;
                    let _ = tx.send(Msg::LoggedOut(result.clone()));
                    // A server that cannot be reached ends the session once it is back, as long as the
                    // console runs (else the session expires by its own timeout there).
                    let mut wait = Duration::from_secs(1);
                    while unreachable(&result) {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(30));
                        result = client.logout_session(&token).await;
                        if !unreachable(&result) {
                            let _ = tx.send(Msg::PreviousLogout(result.clone()));
                        }
                    }
                });
            }
            Command::UseToken(token) => {
                // Set before any later command runs, so the requests that follow carry it.
                self.client.set_token(Some(token.clone()));
                let credentials = self.credentials.clone();
                tokio::task::spawn_blocking(move || {
                    let warning = match credentials.save(&token) {
                        Ok(stored) => stored.warning,
                        Err(e) => Some(format!("Could not store the session token: {e:#}")),
                    };
                    let _ = tx.send(Msg::TokenStored { warning });
                });
            }
            Command::ForgetToken => {
                let credentials = self.credentials.clone();
                tokio::task::spawn_blocking(move || credentials.clear());
            }
            Command::After { delay, msg } => {
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(*msg);
                });
            }
            Command::Timer { key, delay, msg } => {
                let timers = self.timers.clone();
                let mut pending = self.timers.lock().expect("timers lock");
                let handle = tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    timers.lock().expect("timers lock").remove(&key);
                    let _ = tx.send(*msg);
                });
                if let Some(old) = pending.insert(key, handle.abort_handle()) {
                    old.abort();
                }
            }
            Command::Copy(text) => {
                // OSC 52: the terminal (also over SSH) puts the text on the clipboard.
                let copy = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.expose().as_bytes().to_vec());
                if let Err(e) = crossterm::execute!(io::stdout(), copy) {
                    tracing::warn!("copying to the clipboard: {e}");
                }
            }
        }
    }
}

/// How a frame reaches the terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Wrap every frame in synchronized output (the terminal shows it at once, no tearing).
    pub synchronized_output: bool,
}

impl RunOptions {
    /// What the binary runs with (the default leaves the markers out, for tests on other backends).
    pub const SHIPPED: RunOptions = RunOptions {
        synchronized_output: true,
    };
}

/// Runs the console until the user quits. `events` is crossterm's `EventStream` in the binary; tests
/// may pass any stream of events.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    mut app: App,
    client: ApiClient,
    credentials: Credentials,
    events: S,
    options: RunOptions,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Send + Unpin + 'static,
{
    let (tx, mut rx) = unbounded_channel();
    let runner = Runner::new(client, credentials, tx);
    // Events come through a channel so that keys typed ahead can be drained into one batch (polling
    // crossterm's stream without a real waker would lose its wake-up).
    let (event_tx, mut event_rx) = unbounded_channel();
    let forwarder = tokio::spawn(async move {
        let mut events = events;
        while let Some(event) = events.next().await {
            if event_tx.send(event).is_err() {
                break;
            }
        }
    });
    let mut signals = Signals::new();
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize(size.width, size.height));
    }
    for c in app.start() {
        runner.execute(c);
    }
    let result = async {
        draw(terminal, &app, options)?;
        let mut next_tick: Option<Instant> = None;
        loop {
            next_tick = if app.animating() {
                Some(next_tick.unwrap_or_else(|| Instant::now() + SPINNER_FRAME))
            } else {
                None
            };
            let tick = async {
                match next_tick {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let first = tokio::select! {
                event = event_rx.recv() => match event {
                    Some(Ok(event)) => match to_msg(event) {
                        Some(msg) => msg,
                        None => continue,
                    },
                    Some(Err(e)) => return Err(anyhow::Error::from(e)),
                    None => Msg::Interrupt,
                },
                Some(msg) = rx.recv() => msg,
                () = tick => {
                    next_tick = None;
                    Msg::Tick
                }
                () = signals.recv() => Msg::Interrupt,
            };
            let mut batch = vec![first];
            // Whatever else is ready joins this batch: typed-ahead keys and finished requests.
            while let Ok(Ok(event)) = event_rx.try_recv() {
                batch.extend(to_msg(event));
            }
            while let Ok(msg) = rx.try_recv() {
                batch.push(msg);
            }
            for msg in batch {
                for c in app.update(msg) {
                    runner.execute(c);
                }
                if app.should_quit() {
                    return Ok(());
                }
            }
            draw(terminal, &app, options)?;
        }
    }
    .await;
    forwarder.abort();
    result
}

fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Resize(cols, rows) => Some(Msg::Resize(cols, rows)),
        _ => None,
    }
}

fn draw<B>(terminal: &mut Terminal<B>, app: &App, options: RunOptions) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    draw_frame(terminal, app, options, &mut io::stdout())?;
    Ok(())
}

/// One frame as the loop draws it: `app`'s view through `terminal`, between synchronized-output markers
/// written to `markers` (the terminal's own output in the binary; the benchmark counts them there).
pub fn draw_frame<'t, B, W>(
    terminal: &'t mut Terminal<B>,
    app: &App,
    options: RunOptions,
    markers: &mut W,
) -> anyhow::Result<CompletedFrame<'t>>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    W: io::Write,
{
    if options.synchronized_output {
        crossterm::execute!(markers, crossterm::terminal::BeginSynchronizedUpdate)?;
    }
    let frame = terminal.draw(|frame| app.view(frame))?;
    if options.synchronized_output {
        crossterm::execute!(markers, crossterm::terminal::EndSynchronizedUpdate)?;
    }
    Ok(frame)
}

/// SIGTERM and SIGHUP end the loop normally, so the terminal is restored.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                hup: signal(SignalKind::hangup()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let term = async {
                match self.term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            let hup = async {
                match self.hup.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = term => {}
                () = hup => {}
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
