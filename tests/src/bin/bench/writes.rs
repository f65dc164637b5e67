//! S4: settings writes per second, each answered 200 (committed with its audit entry), and a count at the
//! end that the audit log holds exactly one entry per write.

use std::{
    io::Write as _,
    net::SocketAddr,
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
use orgdeck_server::{SystemClock, store::sqlite::db_path};
use orgdeck_shared::{Versioned, general::GeneralSettings, routes};
use orgdeck_tests::fixture::{ADMIN_PASSWORD, TestServer};
use uuid::Uuid;

use super::{Bar, CONCURRENCY, Figure, Meter, Options, http1_connection, median_f64};

/// One admin of one organization: writes by different clients never race for the same document, so every
/// `If-Match` names the version this client just read and every write is expected to be answered 200.
struct Writer {
    org_id: Uuid,
    token: String,
    /// Writes answered 200 over the whole run, warm-ups included: what the audit log must hold.
    writes: Arc<AtomicU64>,
}

pub async fn s4_settings_writes(opts: &Options) -> Result<Figure> {
    let rounds = 3;
    let duration = Duration::from_secs_f64(opts.seconds / rounds as f64);
    // Every client logs in once from 127.0.0.1: more logins than the default rate allows per minute.
    let server = TestServer::start_configured(Arc::new(SystemClock), |c| {
        c.login_attempts_per_minute = 4 * CONCURRENCY as u32;
    })
    .await?;
    let mut writers = vec![Writer {
        org_id: server.org.org_id,
        token: server.admin_token().await?,
        writes: Arc::default(),
    }];
    for i in 1..CONCURRENCY {
        let email = format!("admin@org{i}.example");
        let org = orgdeck_server::init_org(
            server.data_dir.path(),
            &format!("Bench Org {i}"),
            &email,
            ADMIN_PASSWORD,
            server.clock.as_ref(),
        )?;
        writers.push(Writer {
            org_id: org.org_id,
            token: server.login(&email, ADMIN_PASSWORD).await?,
            writes: Arc::default(),
        });
    }
    let (mut http_rates, mut fsync_rates) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        http_rates.push(write_load(server.handle.addr, &writers, duration).await?);
        // For context: how many fdatasync calls this disk completes per second, in the same run.
        let dir = server.data_dir.path().to_owned();
        fsync_rates.push(tokio::task::spawn_blocking(move || fsync_rate(&dir, duration)).await??);
    }
    let expected: Vec<(Uuid, u64)> = writers
        .iter()
        .map(|w| (w.org_id, w.writes.load(Ordering::Relaxed)))
        .collect();
    let total: u64 = expected.iter().map(|(_, n)| n).sum();
    let audited = audit_counts(server.data_dir.path(), &expected)?;
    server.stop().await;
    if audited != total {
        bail!("{total} settings writes were answered 200 but the audit log holds {audited} settings.update entries");
    }
    let rate = median_f64(&mut http_rates);
    let fsyncs = median_f64(&mut fsync_rates);
    Ok(Figure {
        id: "S4",
        what: "settings writes/s, each with its audit entry",
        value: rate,
        bar: Bar::AtLeast(1000.0),
        context: format!(
            "PUT settings/general with If-Match, {CONCURRENCY} clients each in its own organization, median of {rounds} rounds; \
             {total} writes answered 200 = {audited} audit entries; commits in WAL with synchronous=NORMAL \
             (this disk: {fsyncs:.0} fdatasync/s)"
        ),
    })
}

/// Writes per second that one keep-alive connection per writer achieves over `duration` (after a warm-up):
/// each reads its document once, then PUTs a changed name with `If-Match` of the version it last got back.
async fn write_load(addr: SocketAddr, writers: &[Writer], duration: Duration) -> Result<f64> {
    let meter = Meter::default();
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
    meter.rate(duration, workers).await
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
fn audit_counts(data_dir: &Path, expected: &[(Uuid, u64)]) -> Result<u64> {
    let db = rusqlite::Connection::open_with_flags(db_path(data_dir), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut count = db.prepare(
        "SELECT COUNT(*) FROM audit_log WHERE org_id = ?1 AND action = 'settings.update' AND target_id = 'general'",
    )?;
    let mut total = 0;
    for (org_id, writes) in expected {
        let n: i64 = count.query_row([org_id.to_string()], |r| r.get(0))?;
        let n = n as u64;
        if n != *writes {
            bail!("organization {org_id}: {writes} writes answered 200, {n} audit entries");
        }
        total += n;
    }
    Ok(total)
}

/// fdatasync calls per second on a small file in `dir`, one after another: the ceiling of commits per
/// second for a store that syncs every commit.
fn fsync_rate(dir: &Path, duration: Duration) -> Result<f64> {
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
