//! The outbound client over real HTTP, against receivers these tests start on loopback: a receiver is
//! reached only when the configuration allows private targets (or lists it), every spelling of a private
//! address is refused before anything is sent, a redirect is reported and not followed, the connection
//! goes to the address the resolver checked (a DNS answer that changes after a check meets the check
//! again), answers are read up to a cap, a silent receiver times out, and no proxy is ever used.

use std::{
    collections::VecDeque,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use orgdeck_server::outbound::{
    AddressKind, AllowEntry, BlockedAddress, Lookup, Outbound, OutboundError, OutboundPolicy, OutboundRequest,
    REDACTED, Redactor, Refused,
    signing::{self, MessageId, WebhookSecret},
    template::{PayloadTemplate, TemplateValues},
};
use reqwest::{Method, header::HeaderValue};
use url::Url;

/// What a receiver saw of one request.
#[derive(Debug, Clone)]
struct Hit {
    method: String,
    uri: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// An HTTP server on 127.0.0.1 that records every request and answers with `answer`.
struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(answer: impl Fn(&Hit) -> Response + Send + Sync + 'static) -> Self {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(answer);
        let recorded = hits.clone();
        let app = axum::Router::new().fallback(move |request: Request| {
            let (answer, recorded) = (answer.clone(), recorded.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                let hit = Hit {
                    method: parts.method.to_string(),
                    uri: parts.uri.to_string(),
                    headers: parts.headers,
                    body: body.to_vec(),
                };
                let response = answer(&hit);
                recorded.lock().unwrap().push(hit);
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, hits }
    }

    /// A receiver answering 200 `ok`.
    async fn ok() -> Self {
        Self::start(|_| "ok".into_response()).await
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).unwrap()
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

/// Names resolved from a script instead of DNS (there is none here): each lookup of a name takes the
/// next answer from its queue (the last one repeats), and every lookup is counted.
struct ScriptedLookup {
    answers: Mutex<Vec<(String, VecDeque<Vec<IpAddr>>)>>,
    lookups: AtomicUsize,
}

impl ScriptedLookup {
    fn new(script: &[(&str, &[&[&str]])]) -> Arc<Self> {
        let answers = script
            .iter()
            .map(|(name, answers)| {
                let queue = answers
                    .iter()
                    .map(|addrs| addrs.iter().map(|a| a.parse().unwrap()).collect())
                    .collect();
                (name.to_string(), queue)
            })
            .collect();
        Arc::new(Self {
            answers: Mutex::new(answers),
            lookups: AtomicUsize::new(0),
        })
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Lookup for ScriptedLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap();
        let Some((_, queue)) = answers.iter_mut().find(|(name, _)| name == host) else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"));
        };
        Ok(if queue.len() > 1 {
            queue.pop_front().unwrap()
        } else {
            queue[0].clone()
        })
    }
}

fn client(policy: OutboundPolicy) -> Outbound {
    Outbound::new(policy).unwrap()
}

fn private_allowed() -> OutboundPolicy {
    OutboundPolicy {
        allow_private_targets: true,
        ..OutboundPolicy::default()
    }
}

/// The refused address of an error, or a panic naming what came instead.
fn refused_address(result: Result<impl std::fmt::Debug, OutboundError>) -> BlockedAddress {
    match result {
        Err(OutboundError::Refused(Refused::Address(blocked))) => blocked,
        other => panic!("expected a refused address, got {other:?}"),
    }
}

#[tokio::test]
async fn a_signed_webhook_reaches_a_loopback_receiver_when_private_targets_are_allowed() {
    let receiver = Receiver::ok().await;
    let outbound = client(private_allowed());
    let template = PayloadTemplate::parse(r#"{"title": "$Title", "severity": "$Severity"}"#).unwrap();
    let body = template.render(&TemplateValues {
        title: "SQL injection in \"login\"",
        severity: "critical",
        ..Default::default()
    });
    let secret = WebhookSecret::generate();
    let id = MessageId::new();
    let now = 1_800_000_000;
    let headers = signing::headers(std::slice::from_ref(&secret), &id, now, body.as_bytes());

    let response = outbound
        .post_json(&receiver.url("/hooks/orgdeck"), headers, body.clone())
        .await
        .expect("allowed and answered");
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, b"ok");
    assert!(!response.body_truncated);

    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!((hit.method.as_str(), hit.uri.as_str()), ("POST", "/hooks/orgdeck"));
    assert_eq!(hit.body, body.as_bytes(), "the signed bytes are the bytes sent");
    assert_eq!(hit.headers["content-type"], "application/json");
    assert_eq!(hit.headers[signing::WEBHOOK_ID], id.as_str());
    assert_eq!(
        hit.headers[signing::X_ORGDECK_SIGNATURE],
        hit.headers[signing::WEBHOOK_SIGNATURE]
    );
    signing::verify(&secret, &hit.headers, &hit.body, now, signing::DEFAULT_TOLERANCE_SECS)
        .expect("the receiver can verify the delivery");
    let received: serde_json::Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(received["title"], "SQL injection in \"login\"");
}

#[tokio::test]
async fn every_spelling_of_a_loopback_receiver_is_refused_by_default_and_never_contacted() {
    let receiver = Receiver::ok().await;
    let port = receiver.addr.port();
    let outbound = client(OutboundPolicy::default());
    for spelling in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://0x7f000001:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://017700000001:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://127.0.0.1.:{port}/"),
        format!("http://%31%32%37.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://LOCALHOST.:{port}/"),
        format!("http://hooks.localhost:{port}/"),
    ] {
        let url = Url::parse(&spelling).unwrap();
        let blocked = refused_address(outbound.post_json(&url, HeaderMap::new(), "{}").await);
        assert_eq!(blocked.kind, AddressKind::Loopback, "{spelling}");
        let message = OutboundError::Refused(Refused::Address(blocked.clone())).to_string();
        assert!(message.contains("a loopback address"), "{spelling}: {message}");
        if spelling.contains("localhost") {
            assert!(
                message.contains("localhost") && message.contains(" resolves to "),
                "{message}"
            );
        }
        // The same verdict at save time, without sending.
        assert!(outbound.check_url(&url).await.is_err(), "{spelling}");
    }
    assert!(receiver.hits().is_empty(), "nothing reached the receiver");
}

#[tokio::test]
async fn private_link_local_and_metadata_addresses_are_refused_with_their_reason() {
    let lookup = ScriptedLookup::new(&[
        ("jira.corp.test", &[&["10.0.0.5"]]),
        ("dual.corp.test", &[&["93.184.216.34", "fd00::5"]]),
    ]);
    let outbound = client(OutboundPolicy::default().with_lookup(lookup));
    for (url, kind, expected) in [
        (
            "http://10.0.0.5/",
            AddressKind::Private,
            "10.0.0.5 is a private address",
        ),
        (
            "http://jira.corp.test/rest/api/2/myself",
            AddressKind::Private,
            "jira.corp.test resolves to 10.0.0.5, a private address",
        ),
        (
            "https://dual.corp.test/",
            AddressKind::UniqueLocal,
            "dual.corp.test resolves to fd00::5, a private (unique local) IPv6 address",
        ),
        (
            "http://192.168.1.10:8080/",
            AddressKind::Private,
            "192.168.1.10 is a private address",
        ),
        (
            "http://169.254.10.1/",
            AddressKind::LinkLocal,
            "169.254.10.1 is a link-local address",
        ),
        (
            "http://[fe80::1]/",
            AddressKind::LinkLocal,
            "fe80::1 is a link-local address",
        ),
        (
            "http://100.64.1.1/",
            AddressKind::Shared,
            "100.64.1.1 is a shared (carrier-grade NAT) address",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            AddressKind::Metadata,
            "169.254.169.254 is a cloud metadata service address",
        ),
        (
            "http://[fd00:ec2::254]/",
            AddressKind::Metadata,
            "fd00:ec2::254 is a cloud metadata service address",
        ),
        (
            "http://0.0.0.0:8080/",
            AddressKind::Unspecified,
            "0.0.0.0 is the unspecified address",
        ),
    ] {
        let result = outbound.get(&Url::parse(url).unwrap(), HeaderMap::new()).await;
        let message = match &result {
            Err(err) => err.to_string(),
            Ok(response) => panic!("{url} was called: {response:?}"),
        };
        assert!(message.starts_with(expected), "{url}: {message}");
        assert_eq!(refused_address(result).kind, kind, "{url}");
    }
    let err = outbound
        .get(
            &Url::parse("http://metadata.google.internal/computeMetadata/v1/").unwrap(),
            HeaderMap::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OutboundError::Refused(Refused::MetadataHost(h)) if h == "metadata.google.internal"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_allowlist_opens_the_listed_host_or_range_and_nothing_else() {
    let receiver = Receiver::ok().await;
    let port = receiver.addr.port();
    let lookup = ScriptedLookup::new(&[("listed.test", &[&["127.0.0.1"]]), ("other.test", &[&["127.0.0.1"]])]);
    let by_name = client(
        OutboundPolicy {
            allowlist: vec![AllowEntry::Host("listed.test".into())],
            ..OutboundPolicy::default()
        }
        .with_lookup(lookup),
    );
    let listed = Url::parse(&format!("http://listed.test:{port}/")).unwrap();
    assert_eq!(
        by_name.get(&listed, HeaderMap::new()).await.unwrap().status,
        StatusCode::OK
    );
    let other = Url::parse(&format!("http://other.test:{port}/")).unwrap();
    assert_eq!(
        refused_address(by_name.get(&other, HeaderMap::new()).await)
            .host
            .as_deref(),
        Some("other.test")
    );
    assert_eq!(
        refused_address(by_name.get(&receiver.url("/"), HeaderMap::new()).await).kind,
        AddressKind::Loopback,
        "the name is listed, not its address"
    );

    let by_range = client(OutboundPolicy {
        allowlist: vec!["127.0.0.0/30".parse().unwrap()],
        ..OutboundPolicy::default()
    });
    for url in [
        receiver.url("/"),
        Url::parse(&format!("http://0x7f.1:{port}/")).unwrap(),
    ] {
        assert_eq!(
            by_range.get(&url, HeaderMap::new()).await.unwrap().status,
            StatusCode::OK,
            "{url}"
        );
    }
    // localhost is 127.0.0.1 and ::1; every address must pass, and ::1 is not in the range.
    let localhost = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    assert_eq!(
        refused_address(by_range.get(&localhost, HeaderMap::new()).await).addr,
        "::1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        refused_address(
            by_range
                .get(
                    &Url::parse(&format!("http://127.0.0.9:{port}/")).unwrap(),
                    HeaderMap::new()
                )
                .await
        )
        .kind,
        AddressKind::Loopback
    );
    assert_eq!(receiver.hits().len(), 3);
}

#[tokio::test]
async fn a_redirect_to_the_metadata_service_is_reported_and_not_followed() {
    let receiver = Receiver::start(|hit| {
        let location = if hit.uri == "/hook" {
            "http://169.254.169.254/latest/meta-data/iam?token=abc"
        } else {
            "/landed"
        };
        (StatusCode::FOUND, [("location", location)], "moved").into_response()
    })
    .await;
    let outbound = client(private_allowed());
    let err = outbound
        .post_json(&receiver.url("/hook"), HeaderMap::new(), "{}")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "redirects are not followed (302 to http://169.254.169.254/latest/meta-data/iam?token=[redacted])"
    );
    let OutboundError::Redirect { status, response, .. } = err else {
        panic!("a redirect error expected")
    };
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(response.body, b"moved", "the 3xx answer itself is kept for the log");

    // A redirect to the same receiver is not followed either: only the first path was ever requested.
    let err = outbound
        .get(&receiver.url("/first"), HeaderMap::new())
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Redirect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with(&format!("(302 to http://{}/landed)", receiver.addr)),
        "{err}"
    );
    let uris: Vec<String> = receiver.hits().into_iter().map(|h| h.uri).collect();
    assert_eq!(uris, ["/hook", "/first"]);
}

#[tokio::test]
async fn the_connection_goes_to_the_address_the_resolver_checked() {
    let receiver = Receiver::ok().await;
    let port = receiver.addr.port();
    // `.test` names never resolve through DNS: reaching the receiver proves the socket used the address
    // our resolver returned, and one lookup per request proves nothing resolved it a second time.
    let lookup = ScriptedLookup::new(&[("receiver.test", &[&["127.0.0.1"]])]);
    let outbound = client(private_allowed().with_lookup(lookup.clone()));
    let url = Url::parse(&format!("http://receiver.test:{port}/ping")).unwrap();
    let response = outbound.get(&url, HeaderMap::new()).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(lookup.lookups(), 1);
    let hits = receiver.hits();
    assert_eq!(hits[0].headers["host"], format!("receiver.test:{port}"));
}

#[tokio::test]
async fn a_name_that_rebinds_to_loopback_after_the_save_check_is_refused_at_connect_time() {
    let receiver = Receiver::ok().await;
    let port = receiver.addr.port();
    // First a public address (the save-time check passes), then loopback (what an attacker's DNS answers
    // when the delivery connects).
    let lookup = ScriptedLookup::new(&[("rebind.test", &[&["93.184.216.34"], &["127.0.0.1"]])]);
    let outbound = client(OutboundPolicy::default().with_lookup(lookup.clone()));
    let url = Url::parse(&format!("http://rebind.test:{port}/hook")).unwrap();
    let checked = outbound.check_url(&url).await.unwrap();
    assert_eq!(checked, [SocketAddr::new("93.184.216.34".parse().unwrap(), port)]);
    let blocked = refused_address(outbound.post_json(&url, HeaderMap::new(), "{}").await);
    assert_eq!(
        (blocked.host.as_deref(), blocked.addr, blocked.kind),
        (Some("rebind.test"), "127.0.0.1".parse().unwrap(), AddressKind::Loopback)
    );
    assert_eq!(lookup.lookups(), 2, "one lookup at save, one at connect");
    assert!(receiver.hits().is_empty());
}

#[tokio::test]
async fn a_large_answer_is_read_only_up_to_the_cap() {
    let receiver = Receiver::start(|_| vec![b'x'; 1024 * 1024].into_response()).await;
    let outbound = client(private_allowed());
    let response = outbound.get(&receiver.url("/big"), HeaderMap::new()).await.unwrap();
    assert_eq!(response.body.len(), 64 * 1024);
    assert!(response.body_truncated);
    let excerpt = response.body_excerpt(&Redactor::default());
    assert_eq!(excerpt.chars().count(), orgdeck_server::outbound::EXCERPT_CHARS + 1);
    assert!(excerpt.ends_with('…'));

    let small = client(OutboundPolicy {
        body_limit: 10,
        ..private_allowed()
    });
    let response = small.get(&receiver.url("/big"), HeaderMap::new()).await.unwrap();
    assert_eq!(response.body, b"xxxxxxxxxx");
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out() {
    // Accepts connections and holds them without reading or writing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let outbound = client(OutboundPolicy {
        timeout: Duration::from_millis(300),
        ..private_allowed()
    });
    let url = Url::parse(&format!("http://{addr}/hook?token=0123456789")).unwrap();
    let err = outbound.post_json(&url, HeaderMap::new(), "{}").await.unwrap_err();
    assert!(
        matches!(&err, OutboundError::Timeout { timeout, .. } if *timeout == Duration::from_millis(300)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("no complete answer from http://{addr}/hook?token={REDACTED} within 300 ms")
    );

    // The same deadline covers an answer whose body stalls after its headers.
    let stalled = Receiver::start(|_| {
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"partial"))])
            .chain(futures_util::stream::pending());
        Body::from_stream(stream).into_response()
    })
    .await;
    let err = outbound.get(&stalled.url("/slow"), HeaderMap::new()).await.unwrap_err();
    assert!(matches!(err, OutboundError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn error_statuses_are_answers_with_their_retry_after() {
    let receiver = Receiver::start(|hit| match hit.uri.as_str() {
        "/busy" => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], "slow down").into_response(),
        _ => (StatusCode::GONE, "no_service").into_response(),
    })
    .await;
    let outbound = client(private_allowed());
    let busy = outbound.get(&receiver.url("/busy"), HeaderMap::new()).await.unwrap();
    assert_eq!(busy.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(busy.retry_after, Some(Duration::from_secs(7)));
    assert!(!busy.is_success());
    let gone = outbound.get(&receiver.url("/gone"), HeaderMap::new()).await.unwrap();
    assert_eq!(
        (gone.status, gone.body.as_slice()),
        (StatusCode::GONE, b"no_service".as_slice())
    );
}

#[tokio::test]
async fn secrets_echoed_by_the_receiver_are_redacted_from_the_excerpt() {
    // Echoes the request line and the Authorization header, as some error pages do.
    let receiver = Receiver::start(|hit| {
        let auth = hit
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        (
            StatusCode::UNAUTHORIZED,
            format!("bad request {} with {auth}\x1b[2J", hit.uri),
        )
            .into_response()
    })
    .await;
    let outbound = client(private_allowed());
    let url = receiver.url("/rest/bug?api_key=K3y-0123456789abcdef&limit=5");
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("Bearer pat-secret-token-42"));
    let mut request = OutboundRequest::new(Method::POST, url.clone());
    request.headers = headers;
    request.body = Some(b"{}".to_vec());
    let response = outbound.send(request).await.unwrap();
    let excerpt = response.body_excerpt(&Redactor::new(&url, ["pat-secret-token-42"]));
    assert_eq!(
        excerpt,
        format!("bad request /rest/bug?api_key={REDACTED}&limit=5 with Bearer {REDACTED}[2J")
    );
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error_naming_the_target() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let outbound = client(private_allowed());
    let err = outbound
        .get(&Url::parse(&format!("http://{addr}/")).unwrap(), HeaderMap::new())
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Connect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot connect to http://{addr}/: ")),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");
}

/// Set by [`proxy_settings_in_the_environment_are_ignored`] for the child process it starts.
const PROXY_CHILD: &str = "ORGDECK_TEST_OUTBOUND_PROXY";

#[tokio::test]
async fn proxy_settings_in_the_environment_are_ignored() {
    // A proxy would resolve the target itself, past the policy's resolver. The environment is
    // process-wide (and changing it while threads run is unsound), so the check runs in a child process
    // started with HTTP_PROXY pointing at a recording "proxy".
    let proxy = Receiver::start(|_| (StatusCode::BAD_GATEWAY, "via proxy").into_response()).await;
    let proxy_url = format!("http://{}", proxy.addr);
    let output = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "proxy_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PROXY_CHILD, &proxy_url)
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Only the child's control request (a plain reqwest client) went through the proxy.
    let proxied: Vec<String> = proxy.hits().into_iter().map(|h| h.uri).collect();
    assert_eq!(proxied.len(), 1, "{proxied:?}");
    assert!(proxied[0].ends_with("/control"), "{proxied:?}");
}

/// Run by [`proxy_settings_in_the_environment_are_ignored`] in a child process with HTTP_PROXY set.
#[tokio::test]
#[ignore = "run by proxy_settings_in_the_environment_are_ignored in a child process"]
async fn proxy_child() {
    let proxy = std::env::var(PROXY_CHILD).expect("started by proxy_settings_in_the_environment_are_ignored");
    assert_eq!(std::env::var("HTTP_PROXY").unwrap(), proxy);
    let receiver = Receiver::ok().await;
    let port = receiver.addr.port();
    let lookup = ScriptedLookup::new(&[("receiver.test", &[&["127.0.0.1"]])]);
    // Control: an ordinary client does use the environment's proxy, so this setup would catch a leak.
    let plain = reqwest::Client::new();
    let control = plain
        .get(format!("http://receiver.test:{port}/control"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        control.status(),
        StatusCode::BAD_GATEWAY,
        "the control went through the proxy"
    );

    let outbound = client(private_allowed().with_lookup(lookup));
    let url = Url::parse(&format!("http://receiver.test:{port}/direct")).unwrap();
    let response = outbound.get(&url, HeaderMap::new()).await.unwrap();
    assert_eq!(
        (response.status, response.body.as_slice()),
        (StatusCode::OK, b"ok".as_slice())
    );
    let uris: Vec<String> = receiver.hits().into_iter().map(|h| h.uri).collect();
    assert_eq!(uris, ["/direct"]);
}
