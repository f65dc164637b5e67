//! Requests to URLs that users typed (integrations, webhooks): the one HTTP client for them, built so a
//! URL cannot reach what the server can but the user should not (SSRF, SETTINGS.md §6,
//! notes/integrations.md §6).
//!
//! - The URL is checked as typed: http or https, no credentials, an allowed port, and an IP literal in any
//!   spelling (the WHATWG parser turns `0x7f.1`, `2130706433` or `%31%32%37.0.0.1` into the address it
//!   means) against the address rules of [`OutboundPolicy`].
//! - A host name is resolved by the client's own resolver, at connect time, and every address (A and
//!   AAAA) is checked there; the socket connects only to the addresses that resolver returned, so a DNS
//!   answer that changes after a save-time check (rebinding) meets the check again.
//! - No proxy (a proxy would resolve the name itself, past the check), no redirect (a 3xx comes back as
//!   [`OutboundError::Redirect`]), no automatic retry (the delivery log counts attempts), a total timeout,
//!   and at most [`OutboundPolicy::body_limit`] bytes of an answer read.
//!
//! No other module builds a `reqwest::Client` for a user-supplied URL.

mod address;
pub mod policy;
pub mod redact;
pub mod signing;
pub mod template;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use reqwest::{
    Method, StatusCode,
    header::{CONTENT_TYPE, DATE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER},
};
use url::Url;

pub use address::{AddressKind, Embedded, METADATA_HOSTS, classify, embedded_ipv4};
pub use policy::{AllowEntry, BlockedAddress, Lookup, OutboundPolicy, Refused, SystemLookup, parse_allowlist};
pub use redact::{EXCERPT_CHARS, REDACTED, Redactor, redacted_url};

/// The longest redirect target quoted in an error.
const MAX_LOCATION_CHARS: usize = 300;

/// The client for user-supplied URLs. Cheap to clone (connections are pooled and shared).
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<OutboundPolicy>,
}

/// The HTTP client could not be built (its TLS setup failed).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the outbound HTTP client")]
pub struct SetupError(#[source] reqwest::Error);

/// Why a request to a user-supplied URL did not produce an answer to hand back. Its text is shown to the
/// admin ("Test") and kept in the delivery log: URLs appear without their query values.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The policy refused the URL or an address it resolved to; nothing was sent.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// A 3xx answer: never followed (the target could be anywhere, including inside the network).
    #[error("redirects are not followed ({} to {location})", .status.as_u16())]
    Redirect {
        status: StatusCode,
        /// The target, resolved against the request URL, without its query values.
        location: String,
        response: Box<OutboundResponse>,
    },
    #[error("no complete answer from {url} within {}", show_duration(*.timeout))]
    Timeout { url: String, timeout: Duration },
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the request to {url} failed: {reason}")]
    Request { url: String, reason: String },
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    /// The exact bytes to send (a signature covers these bytes, so nothing re-serializes them).
    pub body: Option<Vec<u8>>,
}

impl OutboundRequest {
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }
}

/// An answer (any status but 3xx), with at most the policy's body limit of its body.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// `Retry-After` as a wait from now: seconds, or an HTTP date measured from the answer's own `Date`
    /// (so the two clocks' skew does not matter) or else from this server's clock.
    pub retry_after: Option<Duration>,
    /// The first [`OutboundPolicy::body_limit`] bytes of the body.
    pub body: Vec<u8>,
    /// The body was longer and the rest was not read.
    pub body_truncated: bool,
    /// From sending to the last byte read.
    pub duration: Duration,
}

impl OutboundResponse {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body as text for the delivery log or a "Test" result: [`EXCERPT_CHARS`] at most, secrets
    /// redacted, control characters removed.
    pub fn body_excerpt(&self, redactor: &Redactor) -> String {
        let mut excerpt = redactor.excerpt(&self.body, EXCERPT_CHARS);
        if self.body_truncated && !excerpt.ends_with('…') {
            excerpt.push('…');
        }
        excerpt
    }
}

/// Resolves names for the client: every address checked by the policy, any refused one failing the
/// lookup with [`Refused`] (found again in the error's source chain by [`Outbound::send`]).
struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = policy
                .resolve(&host)
                .await
                .map_err(|refused| Box::new(refused) as Box<dyn std::error::Error + Send + Sync>)?;
            // Port 0: the connector puts in the URL's port (or the scheme's).
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

impl Outbound {
    /// The longest one request takes, answer read, before it fails.
    pub fn timeout(&self) -> Duration {
        self.policy.timeout
    }

    pub fn new(policy: OutboundPolicy) -> Result<Self, SetupError> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .referer(false)
            .dns_resolver(Arc::new(GuardedResolver { policy: policy.clone() }))
            .connect_timeout(policy.connect_timeout.min(policy.timeout))
            .timeout(policy.timeout)
            .user_agent(concat!("orgdeck/", env!("CARGO_PKG_VERSION"), " (+webhooks)"))
            .build()
            .map_err(SetupError)?;
        Ok(Self { client, policy })
    }

    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// [`OutboundPolicy::check_url`]: whether `url` may be called, without calling it (save time).
    pub async fn check_url(&self, url: &Url) -> Result<Vec<SocketAddr>, Refused> {
        self.policy.check_url(url).await
    }

    pub async fn get(&self, url: &Url, headers: HeaderMap) -> Result<OutboundResponse, OutboundError> {
        let mut request = OutboundRequest::new(Method::GET, url.clone());
        request.headers = headers;
        self.send(request).await
    }

    /// POSTs `body` (already serialized JSON, sent byte for byte) as `application/json`.
    pub async fn post_json(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: impl Into<Vec<u8>>,
    ) -> Result<OutboundResponse, OutboundError> {
        self.post(url, headers, HeaderValue::from_static("application/json"), body)
            .await
    }

    /// POSTs `body` with the given content type (a form template's body, a SOAP envelope).
    pub async fn post(
        &self,
        url: &Url,
        mut headers: HeaderMap,
        content_type: HeaderValue,
        body: impl Into<Vec<u8>>,
    ) -> Result<OutboundResponse, OutboundError> {
        headers.insert(CONTENT_TYPE, content_type);
        let mut request = OutboundRequest::new(Method::POST, url.clone());
        request.headers = headers;
        request.body = Some(body.into());
        self.send(request).await
    }

    /// Sends `request` if the policy allows its URL, and reads the answer within the timeout. Any status
    /// other than 3xx is an answer (the caller decides what a 4xx or 429 means); a 3xx is an error.
    pub async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let OutboundRequest {
            method,
            url,
            headers,
            body,
        } = request;
        // IP literals never reach the resolver: this is their check. Names are checked by the resolver.
        self.policy.target(&url)?;
        let shown = redacted_url(&url);
        let timeout = self.policy.timeout;
        let started = Instant::now();
        let exchange = async {
            let mut builder = self.client.request(method, url.clone()).headers(headers);
            if let Some(body) = body {
                builder = builder.body(body);
            }
            let response = builder.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let (body, truncated) = read_capped(response, self.policy.body_limit).await?;
            Ok::<_, reqwest::Error>((status, headers, body, truncated))
        };
        // reqwest's own timeout covers the same span; this one also bounds the body read whatever reqwest
        // does, and names the timeout in the error.
        let (status, headers, body, body_truncated) = match tokio::time::timeout(timeout, exchange).await {
            Err(_elapsed) => return Err(OutboundError::Timeout { url: shown, timeout }),
            Ok(Err(err)) => return Err(request_error(err, shown, timeout)),
            Ok(Ok(answer)) => answer,
        };
        let response = OutboundResponse {
            status,
            retry_after: parse_retry_after(&headers, SystemTime::now()),
            headers,
            body,
            body_truncated,
            duration: started.elapsed(),
        };
        if status.is_redirection() {
            let location = match response.headers.get(LOCATION) {
                Some(value) => describe_location(&url, value),
                None => "no Location".to_owned(),
            };
            return Err(OutboundError::Redirect {
                status,
                location,
                response: Box::new(response),
            });
        }
        Ok(response)
    }
}

/// The body's first `limit` bytes; the rest is left unread (the connection is then dropped, not reused).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// Turns reqwest's error into ours: the policy's refusal (raised in the resolver) comes back typed, and
/// the rest is described by its causes, never with the URL's query.
fn request_error(err: reqwest::Error, url: String, timeout: Duration) -> OutboundError {
    let mut causes: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return OutboundError::Refused(refused.clone());
        }
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if err.is_timeout() {
        return OutboundError::Timeout { url, timeout };
    }
    let is_connect = err.is_connect();
    let reason = if causes.is_empty() {
        err.without_url().to_string()
    } else {
        causes.join(": ")
    };
    if is_connect {
        OutboundError::Connect { url, reason }
    } else {
        OutboundError::Request { url, reason }
    }
}

/// A redirect's target as the error shows it: absolute, without query values, shortened.
fn describe_location(base: &Url, value: &HeaderValue) -> String {
    let raw = String::from_utf8_lossy(value.as_bytes());
    let shown = match base.join(raw.trim()) {
        Ok(target) => redacted_url(&target),
        Err(_) => raw.into_owned(),
    };
    Redactor::default().excerpt(shown.as_bytes(), MAX_LOCATION_CHARS)
}

/// `Retry-After` (seconds or an HTTP date) as a wait. A date is measured from the answer's `Date` header
/// when it has one, else from `now`; a date in the past is no wait.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let base = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(now);
    Some(at.duration_since(base).unwrap_or(Duration::ZERO))
}

/// `300 ms`, `10 s`, `1.5 s`.
fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "120")]), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "Sun, 06 Nov 1994 08:50:37 GMT")]), now),
            Some(Duration::from_secs(60))
        );
        // Measured from the answer's own clock when it sends one.
        assert_eq!(
            parse_retry_after(
                &headers(&[
                    ("retry-after", "Sun, 06 Nov 1994 08:50:37 GMT"),
                    ("date", "Sun, 06 Nov 1994 08:50:07 GMT")
                ]),
                now
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(parse_retry_after(&headers(&[("retry-after", "-5")]), now), None);
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn redirect_targets_are_absolute_and_keep_no_query_values() {
        let base = Url::parse("https://hooks.example/a/b?token=abc").unwrap();
        assert_eq!(
            describe_location(&base, &HeaderValue::from_static("/elsewhere?key=secret")),
            "https://hooks.example/elsewhere?key=[redacted]"
        );
        assert_eq!(
            describe_location(&base, &HeaderValue::from_static("http://169.254.169.254/")),
            "http://169.254.169.254/"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(show_duration(Duration::from_millis(300)), "300 ms");
        assert_eq!(show_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1.5 s");
    }
}
