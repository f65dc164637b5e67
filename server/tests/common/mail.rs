//! Mail in tests: the file outbox read back, and a small SMTP receiver (plain TCP, enough of RFC 5321).

use std::{
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine;
use orgdeck_server::{
    ServerConfig,
    mail::{MailTransport, SmtpConfig, SmtpSecurity},
};
use orgdeck_shared::auth::Secret;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

const WAIT: Duration = Duration::from_secs(15);

/// The `.eml` files of the outbox, oldest first (their names are time-ordered ids).
pub fn outbox(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("outbox")) else {
        return Vec::new();
    };
    let mut names: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    names.into_iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

/// Waits until the outbox holds `n` messages; returns them all.
pub async fn wait_for_outbox(data_dir: &Path, n: usize) -> Vec<String> {
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let mails = outbox(data_dir);
        if mails.len() >= n {
            return mails;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "{n} mail(s) expected, {} in the outbox",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The 6-digit code a code mail carries.
pub fn code_in(mail: &str) -> String {
    let marker = "verification code is: ";
    let at = mail.find(marker).unwrap_or_else(|| panic!("no code in {mail}")) + marker.len();
    let code: String = mail[at..].chars().take(6).collect();
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");
    code
}

/// A header's value.
pub fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// One message the receiver accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// `(user, password)` of an `AUTH PLAIN`.
    pub auth: Option<(String, String)>,
}

pub struct SmtpReceiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// SMTP without TLS to `addr`, quick retries.
pub fn smtp_to(addr: SocketAddr, credentials: Option<(&str, &str)>) -> impl FnOnce(&mut ServerConfig) {
    let (username, password) = match credentials {
        Some((u, p)) => (Some(u.to_owned()), Some(Secret::new(p))),
        None => (None, None),
    };
    move |c: &mut ServerConfig| {
        c.mail.transport = MailTransport::Smtp(SmtpConfig {
            host: addr.ip().to_string(),
            port: addr.port(),
            security: SmtpSecurity::None,
            username,
            password,
        });
        c.mail.from = "Acme IT <it@acme.example>".into();
        c.mail.timeout = Duration::from_secs(5);
        c.mail.retry.initial = Duration::from_millis(100);
        c.mail.retry.max = Duration::from_millis(200);
        c.mail.retry.max_attempts = 100;
    }
}

/// `(status, sealed body, failed attempts)` of every queued, sent or given-up mail, oldest first.
pub fn outbox_rows(s: &super::TestServer) -> Vec<(String, Option<Vec<u8>>, i64)> {
    orgdeck_server::orgs::read(&s.db, |c| {
        Ok(c.prepare("SELECT status, body, attempts FROM mail_outbox ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?)
    })
    .unwrap()
}

/// Waits until the first message has failed `n` delivery attempts.
pub async fn wait_for_attempts(s: &super::TestServer, n: i64) {
    for _ in 0..500 {
        if outbox_rows(s).first().is_some_and(|r| r.2 >= n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} attempts: {:?}", outbox_rows(s).first().map(|r| r.2));
}

/// A port nothing listens on (bound once, then released).
pub async fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

impl SmtpReceiver {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    pub async fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(stream, store).await;
                });
            }
        });
        Self { addr, received, task }
    }

    /// Waits until `n` messages arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let end = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self.received.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "{n} message(s) expected, {} received",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn plain_credentials(b64: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split('\0');
    let _authzid = parts.next()?;
    Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
}

/// One SMTP session: greeting, EHLO/HELO, optional AUTH PLAIN, then transactions until QUIT.
async fn session(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 receiver.test ESMTP ready\r\n").await?;
    let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None);
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-receiver.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") {
            b"250 receiver.test\r\n"
        } else if upper.starts_with("AUTH PLAIN") {
            let arg = cmd[10..].trim().to_owned();
            let arg = if arg.is_empty() {
                write.write_all(b"334 \r\n").await?;
                let mut l = String::new();
                lines.read_line(&mut l).await?;
                l
            } else {
                arg
            };
            auth = plain_credentials(&arg);
            if auth.is_some() {
                b"235 2.7.0 authenticated\r\n"
            } else {
                b"535 5.7.8 bad credentials\r\n"
            }
        } else if upper.starts_with("MAIL FROM:") {
            from = cmd[10..].trim().trim_matches(['<', '>']).to_owned();
            to.clear();
            b"250 2.1.0 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(cmd[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 2.1.5 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await? == 0 {
                    return Ok(());
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                // Dot-stuffing: a leading dot was doubled by the client.
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            store.lock().unwrap().push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
                auth: auth.clone(),
            });
            b"250 2.0.0 queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 2.0.0 ok\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
