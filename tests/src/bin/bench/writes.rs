//! S4: durable settings writes per second (each answered 200 once committed with its audit entry, the
//! commit on disk first: the shipped `synchronous=FULL` in WAL) over the fdatasync calls per second of the
//! same disk, measured in the same run in the data directory; a count at the end checks that the audit log
//! holds exactly one entry per write. The server runs in its own process on the shipped defaults.

use std::{
    io::Write as _,
    net::{IpAddr, Ipv4Addr},
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Empty, Full};
use hyper::{Request, body::Bytes, header};
use orgdeck_server::SystemClock;
use orgdeck_shared::{Versioned, general::GeneralSettings, routes};
use orgdeck_tests::{
    fixture::{ADMIN_PASSWORD, login},
    pty::server_binary,
};
use uuid::Uuid;

use super::{
    Bar, CONCURRENCY, Figure, MIN_ROUND_SECS, Meter, Options, Window, build_binary, http1_connection, median_f64,
    process::ServerProcess,
};

/// Logins from one address stay under the shipped limit of 20 a minute: the writers log in from
/// 127.0.0.2, 127.0.0.3, ... (all loopback), so the limit need not be raised.
const LOGINS_PER_ADDRESS: usize = 16;

/// One admin of one organization: writes by different clients never race for the same document, so every
/// `If-Match` names the version this client just read and every write is expected to be answered 200.
struct Writer {
    org_id: Uuid,
    token: String,
    /// Writes answered 200 over the whole run, warm-ups included: what the audit log must hold.
    writes: Arc<AtomicU64>,
}

/// S4 (S8 when `database` names a PostgreSQL database: its commits are synced by PostgreSQL, fsync on).
pub async fn s4_settings_writes(opts: &Options, database: Option<String>) -> Result<Figure> {
    // Five short alternating rounds rather than three long ones: other processes' disk traffic comes in
    // bursts (the disk's own rate was seen to drop tenfold for a second), and a burst then spoils one pair of
    // five instead of one of three.
    let rounds = 5;
    // At least 3 s a round: CPU time is read in ticks of 10 ms, and a 600 ms round (the default
    // `--seconds 3` over five) left the ratio to a few ticks (runs of it ranged 0.29 to 0.42).
    let duration = Duration::from_secs_f64((opts.seconds / rounds as f64).max(MIN_ROUND_SECS));
    build_binary("orgdeck-server", "orgdeck-server", "ORGDECK_SERVER_BIN")?;
    let data_dir = tempfile::tempdir()?;
    let db = orgdeck_server::Database::configured(data_dir.path(), database.as_deref());
    let mut admins = Vec::new();
    for i in 0..CONCURRENCY {
        let email = format!("admin@org{i}.example");
        let org = orgdeck_server::init_org(&db, &format!("Bench Org {i}"), &email, ADMIN_PASSWORD, &SystemClock)?;
        admins.push((org.org_id, email));
    }
    let server = ServerProcess::orgdeck_on(
        &server_binary()?,
        data_dir.path(),
        database.as_deref(),
        &data_dir.path().join("server.log"),
    )?;
    let base = format!("http://{}", server.addr);
    let mut writers = Vec::new();
    for (chunk, admins) in admins.chunks(LOGINS_PER_ADDRESS).enumerate() {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + chunk as u8));
        let http = reqwest::Client::builder().local_address(from).build()?;
        for (org_id, email) in admins {
            writers.push(Writer {
                org_id: *org_id,
                token: login(&http, &base, email, ADMIN_PASSWORD)
                    .await
                    .with_context(|| format!("log in {email} from {from}"))?,
                writes: Arc::default(),
            });
        }
    }
    let (mut write_rates, mut fsync_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut server_cpu, mut measured_writes) = (Duration::ZERO, 0u64);
    for round in 0..rounds {
        // Alternate which goes first, so a drift in the machine's load hits both alike.
        let load = || write_load(&server, &writers, duration);
        let (window, fsyncs) = if round % 2 == 0 {
            let w = load().await?;
            (w, fsync_rate(data_dir.path(), duration).await?)
        } else {
            let f = fsync_rate(data_dir.path(), duration).await?;
            (load().await?, f)
        };
        let writes = window.rate();
        if let Some(cpu) = window.cpu {
            server_cpu += cpu;
            measured_writes += window.done;
        }
        write_rates.push(writes);
        fsync_rates.push(fsyncs);
        ratios.push(writes / fsyncs);
    }
    drop(server);
    let expected: Vec<(Uuid, u64)> = writers
        .iter()
        .map(|w| (w.org_id, w.writes.load(Ordering::Relaxed)))
        .collect();
    let total: u64 = expected.iter().map(|(_, n)| n).sum();
    let audited = audit_counts(&db, &expected)?;
    if audited != total {
        bail!("{total} settings writes were answered 200 but the audit log holds {audited} settings.update entries");
    }
    let spread = ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", ");
    let (writes, fsyncs) = (median_f64(&mut write_rates), median_f64(&mut fsync_rates));
    Ok(Figure {
        id: "S4",
        what: "durable settings writes/s / fdatasync/s of the disk",
        value: median_f64(&mut ratios),
        bar: Bar::AtLeast(0.3),
        context: format!(
            "{writes:.0} writes/s (PUT settings/general with If-Match, {CONCURRENCY} clients each in its own \
             organization, each write with its audit entry), {fsyncs:.0} fdatasync/s of 4 KiB appends in the data \
             directory; median ratio of {rounds} alternating rounds of {duration:.1?} ({spread}); orgdeck-server \
             serve in its own process on the shipped defaults: {}; server CPU {:.0} us a write; {total} writes \
             answered 200 = {audited} audit entries",
            match database {
                Some(_) => "commits synced by a local PostgreSQL (fsync on, synchronous_commit on)",
                None => "commits in WAL with synchronous=FULL",
            },
            server_cpu.as_secs_f64() * 1e6 / measured_writes.max(1) as f64
        ),
    })
}

/// The writes that one keep-alive connection per writer achieves over `duration` (after a warm-up), with the
/// server's CPU time meanwhile: each reads its document once, then PUTs a changed name with `If-Match` of the
/// version it last got back.
async fn write_load(server: &ServerProcess, writers: &[Writer], duration: Duration) -> Result<Window> {
    let (addr, meter) = (server.addr, Meter::default());
    let path = routes::settings(routes::area::GENERAL);
    let mut workers = Vec::new();
    for writer in writers {
        let mut sender = http1_connection(addr).await?;
        let meter = meter.clone();
        let (path, auth, writes) = (path.clone(), format!("Bearer {}", writer.token), writer.writes.clone());
        workers.push(tokio::spawn(async move {
            let req = Request::get(&path)
                .header(header::HOST, addr.to_string())
                .header(header::AUTHORIZATION, &auth)
                .body(Empty::<Bytes>::new().boxed())?;
            let (mut etag, mut doc) = versioned_reply(sender.send_request(req).await?, "GET").await?;
            let base_name = doc.value.name.clone();
            let mut n = 0u64;
            while meter.running() {
                n += 1;
                // A change every time: a PUT that changes nothing writes no audit entry.
                doc.value.name = format!("{base_name} #{n}");
                let body = serde_json::to_vec(&doc.value)?;
                let req = Request::put(&path)
                    .header(header::HOST, addr.to_string())
                    .header(header::AUTHORIZATION, &auth)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::IF_MATCH, &etag)
                    .body(Full::new(Bytes::from(body)).boxed())?;
                (etag, doc) = versioned_reply(sender.send_request(req).await?, "PUT").await?;
                writes.fetch_add(1, Ordering::Relaxed);
                meter.record();
            }
            Ok(())
        }));
    }
    meter.window(duration, workers, Some(server.pid())).await
}

/// The `ETag` and document of a 200 answer; anything else fails the figure.
async fn versioned_reply(
    resp: hyper::Response<hyper::body::Incoming>,
    what: &str,
) -> Result<(String, Versioned<GeneralSettings>)> {
    let status = resp.status();
    let etag = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.into_body().collect().await?.to_bytes();
    if status != hyper::StatusCode::OK {
        bail!(
            "{what} settings/general answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let doc: Versioned<GeneralSettings> = serde_json::from_slice(&body)?;
    Ok((
        etag.with_context(|| format!("{what} settings/general answered without an ETag"))?,
        doc,
    ))
}

/// The `settings.update` audit entries of the general settings in each organization, read from the
/// database file; fails naming the first organization whose count differs from its writes.
fn audit_counts(db: &orgdeck_server::Database, expected: &[(Uuid, u64)]) -> Result<u64> {
    let counted = orgdeck_server::orgs::read(db, |c| {
        let mut count = c
            .prepare(
                "SELECT COUNT(*) FROM audit_log WHERE org_id = ?1 AND action = 'settings.update' AND target_id = 'general'",
            )
            .map_err(orgdeck_server::store::ops::db_err)?;
        let mut counted = Vec::new();
        for (org_id, _) in expected {
            let n: i64 = count
                .query_row(orgdeck_server::store::sql::params![org_id.to_string()], |r| r.get(0))
                .map_err(orgdeck_server::store::ops::db_err)?;
            counted.push(n as u64);
        }
        Ok(counted)
    })?;
    let mut total = 0;
    for ((org_id, writes), n) in expected.iter().zip(counted) {
        if n != *writes {
            bail!("organization {org_id}: {writes} writes answered 200, {n} audit entries");
        }
        total += n;
    }
    Ok(total)
}

/// fdatasync calls per second on a small file in `dir`, one after another: the ceiling of commits per
/// second for a store that syncs every commit.
async fn fsync_rate(dir: &Path, duration: Duration) -> Result<f64> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || append_and_sync(&dir, duration)).await?
}

/// Appends 4 KiB and fdatasyncs, again and again for `duration`: the calls per second.
fn append_and_sync(dir: &Path, duration: Duration) -> Result<f64> {
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let page = [0u8; 4096];
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed() < duration {
        file.write_all(&page)?;
        file.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate)
}
