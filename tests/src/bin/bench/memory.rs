//! S6: peak RSS of the real server binary, in its own process, over a data directory holding the S2 users
//! and the S3 audit entries, under the S1 load with the S2 and S3 searches running beside it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use orgdeck_server::SystemClock;
use orgdeck_shared::routes;
use orgdeck_tests::{
    fixture::{ADMIN_EMAIL, ADMIN_PASSWORD, ORG_NAME, login},
    pty::{peak_rss, server_binary},
};

use super::{
    AUDIT_SEARCHES, Bar, CONCURRENCY, Figure, Options, USER_SEARCHES, build_binary, load_round_robin,
    process::ServerProcess, server_cpu::request_mix,
};

const USERS: usize = 100_000;
const AUDIT_ENTRIES: usize = 1_000_000;

pub async fn s6_server_memory(opts: &Options) -> Result<Figure> {
    build_binary("orgdeck-server", "orgdeck-server", "ORGDECK_SERVER_BIN")?;
    let bin = server_binary()?;
    let data_dir = tempfile::tempdir()?;
    let clock = SystemClock;
    let seeding = Instant::now();
    let org = orgdeck_server::init_org(data_dir.path(), ORG_NAME, ADMIN_EMAIL, ADMIN_PASSWORD, &clock)?;
    orgdeck_server::seed_users(data_dir.path(), org.org_id, USERS, &clock)?;
    orgdeck_server::seed_audit(data_dir.path(), org.org_id, AUDIT_ENTRIES, &clock)?;
    let seeded_in = seeding.elapsed();
    let server = ServerProcess::orgdeck(&bin, data_dir.path(), &data_dir.path().join("server.log"))?;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let token = login(&http, &base, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    // One client searches users and the audit log while the S1 load runs, so the server holds pages of both.
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicU64::new(0));
    let searcher = tokio::spawn(search_loop(
        http.clone(),
        base.clone(),
        token.clone(),
        stop.clone(),
        searches.clone(),
    ));
    let duration = Duration::from_secs_f64(opts.seconds);
    let load = async {
        let (paths, _) = request_mix(&http, &base, &token).await?;
        load_round_robin(server.addr, &paths, Some(&token), duration, None).await
    }
    .await;
    stop.store(true, Ordering::Relaxed);
    let searched = searcher.await?;
    let (rps, ()) = (load?.rate(), searched?);
    let peak = peak_rss(server.pid())?;
    let now = current_rss(server.pid())?;
    drop(server);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    Ok(Figure {
        id: "S6",
        what: "server peak RSS, S2 + S3 data, under the S1 load (MiB)",
        value: mib(peak),
        bar: Bar::AtMost(80.0),
        context: format!(
            "VmHWM of orgdeck-server serve (own process); {:.1} MiB resident at the end; {USERS} users and {AUDIT_ENTRIES} audit \
             entries seeded in {seeded_in:.1?}; the S1 load (me and every settings area) {rps:.0} req/s over {CONCURRENCY} connections for {duration:.1?} \
             with {} user and audit searches beside it",
            mib(now),
            searches.load(Ordering::Relaxed)
        ),
    })
}

/// Cycles through the S2 user searches and the S3 audit searches (30-day windows) until `stop`.
async fn search_loop(
    http: reqwest::Client,
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) -> Result<()> {
    let now = jiff::Timestamp::now();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let users = USER_SEARCHES[i % USER_SEARCHES.len()].replace(' ', "%20");
        let to = now.checked_sub(jiff::SignedDuration::from_hours(24 * 40 * (i % 7) as i64))?;
        let from = to.checked_sub(jiff::SignedDuration::from_hours(24 * 30))?;
        let audit = AUDIT_SEARCHES[i % AUDIT_SEARCHES.len()];
        for url in [
            format!("{base}{}?q={users}&limit=50", routes::USERS),
            format!("{base}{}?q={audit}&from={from}&to={to}&limit=50", routes::AUDIT),
        ] {
            let resp = http.get(&url).bearer_auth(&token).send().await?;
            let status = resp.status();
            resp.bytes().await?;
            if !status.is_success() {
                bail!("GET {url} answered {status}");
            }
            done.fetch_add(1, Ordering::Relaxed);
        }
        i += 1;
    }
    Ok(())
}

/// Resident memory now (VmRSS), in bytes.
fn current_rss(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmRSS")?;
    Ok(kib.parse::<u64>()? * 1024)
}
