//! Which user-supplied URLs the server may call: the SSRF rules of SETTINGS.md §6, applied to the URL as
//! typed, to every address its host resolves to, and (through [`super::Outbound`]'s resolver) again at the
//! moment of connecting, to the very addresses the socket then uses.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use ipnet::IpNet;
use url::{Host, Url};

use super::address::{AddressKind, METADATA_HOSTS, classify, embedded_ipv4};

/// The longest host name DNS can carry.
const MAX_HOST_LEN: usize = 253;
/// GitLab's limits for the same setting: enough for any real network, small enough to check linearly.
pub const MAX_ALLOWLIST_ENTRIES: usize = 1000;
const MAX_ALLOWLIST_ENTRY_LEN: usize = 255;

/// Why a URL may not be called. The text is shown to the admin by an integration's "Test" and at save
/// time, so it names the address and the rule precisely; it never contains the URL's query (which may
/// hold a key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    #[error("the URL contains control characters or spaces")]
    ControlCharacters,
    #[error("the scheme {0:?} is not allowed: only http and https")]
    Scheme(String),
    #[error("the URL carries a user name or password; credentials belong in the integration's own fields")]
    Userinfo,
    #[error("the URL has no host")]
    NoHost,
    #[error("the host name is longer than {MAX_HOST_LEN} characters")]
    HostTooLong,
    #[error("port {0} is not allowed: only 80, 443 and ports from 1024 up")]
    Port(u16),
    #[error("{0} is a cloud metadata service")]
    MetadataHost(String),
    #[error("{host} cannot be resolved ({reason})")]
    Unresolvable { host: String, reason: String },
    #[error("{0}")]
    Address(BlockedAddress),
}

impl Refused {
    /// A stable code for the API's field error on `url` (the text says the details).
    pub fn code(&self) -> &'static str {
        match self {
            Refused::InvalidUrl(_) | Refused::ControlCharacters | Refused::NoHost | Refused::HostTooLong => {
                "invalid_url"
            }
            Refused::Scheme(_) => "unsupported_scheme",
            Refused::Userinfo => "credentials_in_url",
            Refused::Port(_) => "port_not_allowed",
            Refused::Unresolvable { .. } => "unresolvable_host",
            Refused::MetadataHost(_) | Refused::Address(_) => "blocked_address",
        }
    }
}

/// An address the policy refuses, with the name that led to it (none for an IP literal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedAddress {
    /// The host name as the URL gave it, when the address came from resolving it.
    pub host: Option<String>,
    pub addr: IpAddr,
    pub kind: AddressKind,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(host) => write!(f, "{host} resolves to {}", self.addr)?,
            None => write!(f, "{}", self.addr)?,
        }
        if let IpAddr::V6(v6) = self.addr
            && let Some(embedded) = embedded_ipv4(v6)
        {
            write!(f, " (IPv4 {})", embedded.ipv4())?;
        }
        f.write_str(if self.host.is_some() { ", " } else { " is " })?;
        f.write_str(self.kind.describe())?;
        if self.kind.is_private_network() {
            f.write_str("; the server's allow_private_targets or outbound_allowlist setting can allow it")?;
        }
        Ok(())
    }
}

/// One entry of `outbound_allowlist`: a host name (exact, no wildcard) or an address range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    /// Lower case, IDNA (punycode), no trailing dot: the form [`Url`] gives a host.
    Host(String),
    /// A CIDR; a single address is its /32 or /128.
    Net(IpNet),
}

impl FromStr for AllowEntry {
    type Err = String;

    /// `10.1.2.0/24`, `fd12::/64`, `10.1.2.3`, `::1`, `[::1]`, `jira.corp.example` (any IPv4 spelling the
    /// URL parser accepts, such as `0x7f.1`, becomes that address).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("an empty allowlist entry".into());
        }
        if s.len() > MAX_ALLOWLIST_ENTRY_LEN {
            return Err(format!(
                "allowlist entry longer than {MAX_ALLOWLIST_ENTRY_LEN} characters"
            ));
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(AllowEntry::Net(net.trunc()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(AllowEntry::Net(IpNet::from(ip)));
        }
        if s.contains(['/', ':', '*', '@', ' ']) && !s.starts_with('[') {
            return Err(format!(
                "{s:?} is not a host name, address or CIDR (no ports or wildcards)"
            ));
        }
        match Host::parse(s) {
            Ok(Host::Domain(d)) => {
                let name = normalize_name(&d);
                if name.is_empty() {
                    return Err(format!("{s:?} is not a host name"));
                }
                Ok(AllowEntry::Host(name))
            }
            Ok(Host::Ipv4(v4)) => Ok(AllowEntry::Net(IpNet::from(IpAddr::V4(v4)))),
            Ok(Host::Ipv6(v6)) => Ok(AllowEntry::Net(IpNet::from(IpAddr::V6(v6)))),
            Err(e) => Err(format!("{s:?} is not a host name, address or CIDR ({e})")),
        }
    }
}

impl fmt::Display for AllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowEntry::Host(h) => f.write_str(h),
            AllowEntry::Net(n) => write!(f, "{n}"),
        }
    }
}

/// Parses a whole allowlist, naming the first bad entry.
pub fn parse_allowlist<S: AsRef<str>>(entries: &[S]) -> Result<Vec<AllowEntry>, String> {
    if entries.len() > MAX_ALLOWLIST_ENTRIES {
        return Err(format!("more than {MAX_ALLOWLIST_ENTRIES} entries"));
    }
    entries.iter().map(|e| e.as_ref().parse()).collect()
}

/// Turns a host name into addresses. The server uses the system resolver; tests inject names of their
/// own (this environment has no DNS, and /etc/hosts is not theirs to edit).
#[async_trait::async_trait]
pub trait Lookup: Send + Sync + 'static {
    /// Every address (A and AAAA) of `host`.
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// getaddrinfo through tokio.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemLookup;

#[async_trait::async_trait]
impl Lookup for SystemLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0)).await?.map(|a| a.ip()).collect())
    }
}

/// The rules for outbound requests to user-supplied URLs, and the limits of each request. Built from the
/// server configuration (`allow_private_targets`, `outbound_allowlist`).
#[derive(Clone)]
pub struct OutboundPolicy {
    /// Opens loopback, private, link-local, shared and benchmarking addresses (never metadata, multicast,
    /// unspecified, documentation or reserved ones). Off by default; on in the demo and tests.
    pub allow_private_targets: bool,
    /// Hosts and ranges allowed even though private: one internal Jira without opening the whole network.
    /// A metadata address is opened only by an entry that is that single address.
    pub allowlist: Vec<AllowEntry>,
    /// The whole exchange, from connecting to the last byte of the answer read.
    pub timeout: Duration,
    /// Connecting alone (capped by `timeout`).
    pub connect_timeout: Duration,
    /// At most this much of an answer is read; the rest is dropped with the connection.
    pub body_limit: usize,
    /// Resolves host names: [`SystemLookup`] unless a test gives names of its own.
    pub lookup: Arc<dyn Lookup>,
}

impl fmt::Debug for OutboundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundPolicy")
            .field("allow_private_targets", &self.allow_private_targets)
            .field("allowlist", &self.allowlist)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl Default for OutboundPolicy {
    /// Public addresses only, 10 s per request (5 s to connect), 64 KiB of answer: SETTINGS.md §6.
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            allowlist: Vec::new(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            body_limit: 64 * 1024,
            lookup: Arc::new(SystemLookup),
        }
    }
}

/// Where a URL points, once its form is acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An IP literal (in whatever spelling: the URL parser made it an address), already checked. The
    /// connector never asks the resolver about these, so this is their only check.
    Ip(IpAddr, u16),
    /// A name, checked once resolved.
    Name(String, u16),
}

impl OutboundPolicy {
    /// Resolves names with `lookup` instead of the system resolver.
    pub fn with_lookup(mut self, lookup: Arc<dyn Lookup>) -> Self {
        self.lookup = lookup;
        self
    }

    /// Parses what the admin typed and checks its form (not its addresses: see [`Self::check_url`]).
    pub fn parse_url(&self, input: &str) -> Result<Url, Refused> {
        let input = input.trim();
        // The WHATWG parser silently drops tabs and newlines inside a URL; say so instead.
        if input.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Refused::ControlCharacters);
        }
        let url = Url::parse(input).map_err(|e| Refused::InvalidUrl(e.to_string()))?;
        self.target(&url)?;
        Ok(url)
    }

    /// Checks `url` as it would be called now: its form, then every address its host resolves to (A and
    /// AAAA). Any refused address refuses the URL, naming it. Returns the addresses with the URL's port,
    /// for saving a URL without sending anything. Sending checks again at connect time (a DNS answer can
    /// change between this call and the request).
    pub async fn check_url(&self, url: &Url) -> Result<Vec<SocketAddr>, Refused> {
        match self.target(url)? {
            Target::Ip(ip, port) => Ok(vec![SocketAddr::new(ip, port)]),
            Target::Name(name, port) => Ok(self
                .resolve(&name)
                .await?
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect()),
        }
    }

    /// The URL's form: scheme, no credentials, a host, an allowed port, and an IP literal's address.
    pub(crate) fn target(&self, url: &Url) -> Result<Target, Refused> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(Refused::Scheme(other.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Userinfo);
        }
        let port = url.port_or_known_default().ok_or(Refused::NoHost)?;
        let target = match url.host() {
            None => return Err(Refused::NoHost),
            Some(Host::Ipv4(v4)) => Target::Ip(IpAddr::V4(v4), port),
            Some(Host::Ipv6(v6)) => Target::Ip(IpAddr::V6(v6), port),
            Some(Host::Domain(d)) => {
                if normalize_name(d).is_empty() {
                    return Err(Refused::NoHost);
                }
                if d.len() > MAX_HOST_LEN {
                    return Err(Refused::HostTooLong);
                }
                // Names whose answer is known without asking DNS: refused as typed, so a save says so.
                let name = normalize_name(d);
                if METADATA_HOSTS.contains(&name.as_str()) && !self.host_allowed(&name) {
                    return Err(Refused::MetadataHost(d.to_owned()));
                }
                if name == "localhost" || name.ends_with(".localhost") {
                    self.check_addr(Some(d), IpAddr::V4(Ipv4Addr::LOCALHOST))?;
                }
                Target::Name(d.to_owned(), port)
            }
        };
        if !(port == 80 || port == 443 || port >= 1024) {
            return Err(Refused::Port(port));
        }
        if let Target::Ip(ip, _) = target {
            self.check_addr(None, ip)?;
        }
        Ok(target)
    }

    /// Every address of `host`, each checked; refused if any one is refused. `localhost` and its
    /// subdomains are loopback whatever a resolver says (RFC 6761), and metadata service names are
    /// refused before any lookup.
    pub(crate) async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, Refused> {
        let name = normalize_name(host);
        if METADATA_HOSTS.contains(&name.as_str()) && !self.host_allowed(&name) {
            return Err(Refused::MetadataHost(host.to_owned()));
        }
        let mut addrs = if name == "localhost" || name.ends_with(".localhost") {
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)]
        } else {
            self.lookup.lookup(host).await.map_err(|e| Refused::Unresolvable {
                host: host.to_owned(),
                reason: e.to_string(),
            })?
        };
        let mut seen = std::collections::HashSet::new();
        addrs.retain(|a| seen.insert(*a));
        if addrs.is_empty() {
            return Err(Refused::Unresolvable {
                host: host.to_owned(),
                reason: "no addresses".into(),
            });
        }
        for &ip in &addrs {
            self.check_addr(Some(host), ip)?;
        }
        Ok(addrs)
    }

    /// Whether `ip` may be connected to, reached through `host` (a name) or typed as a literal (`None`).
    pub fn check_addr(&self, host: Option<&str>, ip: IpAddr) -> Result<(), Refused> {
        let Some(kind) = classify(ip) else {
            return Ok(());
        };
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).map(|e| IpAddr::V4(e.ipv4())),
            IpAddr::V4(_) => None,
        };
        let forms = [Some(ip), embedded];
        let allowed = if kind == AddressKind::Metadata {
            self.allowlist.iter().any(|entry| {
                matches!(entry, AllowEntry::Net(net)
                    if net.prefix_len() == net.max_prefix_len() && forms.contains(&Some(net.addr())))
            })
        } else {
            kind.is_private_network()
                && (self.allow_private_targets
                    || host.is_some_and(|h| self.host_allowed(&normalize_name(h)))
                    || self.allowlist.iter().any(|entry| {
                        matches!(entry, AllowEntry::Net(net) if forms.iter().flatten().any(|a| net.contains(a)))
                    }))
        };
        if allowed {
            return Ok(());
        }
        Err(Refused::Address(BlockedAddress {
            host: host.map(str::to_owned),
            addr: ip,
            kind,
        }))
    }

    fn host_allowed(&self, name: &str) -> bool {
        self.allowlist
            .iter()
            .any(|entry| matches!(entry, AllowEntry::Host(h) if h == name))
    }
}

/// A host name as compared: lower case, without the trailing dot(s) that make it absolute.
fn normalize_name(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a fixed table, so no test depends on DNS.
    struct Table(Vec<(&'static str, Vec<IpAddr>)>);

    #[async_trait::async_trait]
    impl Lookup for Table {
        async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
            self.0
                .iter()
                .find(|(name, _)| *name == host)
                .map(|(_, addrs)| addrs.clone())
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"))
        }
    }

    fn policy() -> OutboundPolicy {
        OutboundPolicy::default().with_lookup(Arc::new(Table(vec![
            ("public.example", vec!["93.184.216.34".parse().unwrap()]),
            (
                "mixed.example",
                vec!["93.184.216.34".parse().unwrap(), "10.0.0.5".parse().unwrap()],
            ),
            ("intranet.corp", vec!["10.1.2.3".parse().unwrap()]),
            ("v6only.example", vec!["fd00::7".parse().unwrap()]),
            ("metadata.corp", vec!["169.254.169.254".parse().unwrap()]),
        ])))
    }

    async fn check(p: &OutboundPolicy, url: &str) -> Result<Vec<SocketAddr>, Refused> {
        let url = p.parse_url(url)?;
        p.check_url(&url).await
    }

    fn blocked(r: Result<Vec<SocketAddr>, Refused>) -> (Option<String>, IpAddr, AddressKind) {
        match r {
            Err(Refused::Address(b)) => (b.host, b.addr, b.kind),
            other => panic!("expected a refused address, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn every_spelling_of_loopback_is_refused_as_loopback() {
        let p = policy();
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://017700000001/",
            "http://0177.0.0.1/",
            "http://127.0.0.1./",
            "http://%31%32%37.0.0.1/",
            "http://１２７.０.０.１/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[0:0:0:0:0:ffff:127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::127.0.0.1]/",
            "HTTP://127.0.0.1:8080/hook",
        ] {
            let (host, addr, kind) = blocked(check(&p, url).await);
            assert_eq!(kind, AddressKind::Loopback, "{url}");
            assert_eq!(host, None, "{url} is a literal");
            match addr {
                IpAddr::V4(v4) => assert_eq!(v4, Ipv4Addr::LOCALHOST, "{url}"),
                IpAddr::V6(v6) => assert!(v6.is_loopback() || embedded_ipv4(v6).is_some(), "{url}"),
            }
        }
    }

    #[tokio::test]
    async fn localhost_names_are_loopback_without_asking_dns() {
        let p = policy();
        for url in [
            "http://localhost/",
            "http://LOCALHOST./",
            "http://hooks.localhost:8080/",
            "http://localhost%2e/",
        ] {
            let (host, addr, kind) = blocked(check(&p, url).await);
            assert_eq!(
                (addr, kind),
                (IpAddr::V4(Ipv4Addr::LOCALHOST), AddressKind::Loopback),
                "{url}"
            );
            assert!(host.unwrap().contains("localhost"), "{url}");
        }
    }

    #[tokio::test]
    async fn private_link_local_shared_and_metadata_are_refused_and_named() {
        let p = policy();
        for (url, kind) in [
            ("http://10.0.0.5/", AddressKind::Private),
            ("http://172.16.3.4/", AddressKind::Private),
            ("http://192.168.0.1/", AddressKind::Private),
            ("http://[fd00::1]/", AddressKind::UniqueLocal),
            ("http://169.254.1.2/", AddressKind::LinkLocal),
            ("http://[fe80::1]/", AddressKind::LinkLocal),
            ("http://100.64.0.1/", AddressKind::Shared),
            ("http://169.254.169.254/latest/meta-data", AddressKind::Metadata),
            ("http://[fd00:ec2::254]/", AddressKind::Metadata),
            ("http://[::ffff:169.254.169.254]/", AddressKind::Metadata),
            ("http://0.0.0.0/", AddressKind::Unspecified),
            ("http://0/", AddressKind::Unspecified),
            ("http://[::]/", AddressKind::Unspecified),
            ("http://224.0.0.1/", AddressKind::Multicast),
            ("http://255.255.255.255/", AddressKind::Broadcast),
            ("http://192.0.2.10/", AddressKind::Documentation),
            ("http://198.18.0.1/", AddressKind::Benchmarking),
        ] {
            assert_eq!(blocked(check(&p, url).await).2, kind, "{url}");
        }
        let err = check(&p, "http://intranet.corp/").await.unwrap_err().to_string();
        assert!(
            err.starts_with("intranet.corp resolves to 10.1.2.3, a private address"),
            "{err}"
        );
        let err = check(&p, "http://[::ffff:127.0.0.1]/").await.unwrap_err().to_string();
        assert!(
            err.starts_with("::ffff:127.0.0.1 (IPv4 127.0.0.1) is a loopback"),
            "{err}"
        );
        assert_eq!(
            check(&p, "http://metadata.google.internal/computeMetadata/v1/").await,
            Err(Refused::MetadataHost("metadata.google.internal".into()))
        );
        assert_eq!(
            blocked(check(&p, "http://metadata.corp/").await).2,
            AddressKind::Metadata
        );
    }

    #[tokio::test]
    async fn one_private_address_among_public_ones_refuses_the_name() {
        let p = policy();
        let (host, addr, kind) = blocked(check(&p, "https://mixed.example/hook").await);
        assert_eq!(
            (host.as_deref(), addr, kind),
            (Some("mixed.example"), "10.0.0.5".parse().unwrap(), AddressKind::Private)
        );
        assert_eq!(
            blocked(check(&p, "https://v6only.example/").await).2,
            AddressKind::UniqueLocal
        );
        assert_eq!(
            check(&p, "https://public.example/hook").await.unwrap(),
            vec!["93.184.216.34:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            check(&p, "http://public.example:8080/").await.unwrap(),
            vec!["93.184.216.34:8080".parse::<SocketAddr>().unwrap()]
        );
        assert!(matches!(
            check(&p, "https://nowhere.example/").await,
            Err(Refused::Unresolvable { .. })
        ));
    }

    #[tokio::test]
    async fn the_form_of_the_url_is_checked() {
        let p = policy();
        assert_eq!(
            check(&p, "file:///etc/passwd").await,
            Err(Refused::Scheme("file".into()))
        );
        assert_eq!(
            check(&p, "gopher://public.example/").await,
            Err(Refused::Scheme("gopher".into()))
        );
        assert_eq!(
            check(&p, "https://user:pw@public.example/").await,
            Err(Refused::Userinfo)
        );
        assert_eq!(check(&p, "https://user@public.example/").await, Err(Refused::Userinfo));
        assert_eq!(Refused::Userinfo.code(), "credentials_in_url");
        assert_eq!(
            check(&p, "http://10.0.0.1/").await.unwrap_err().code(),
            "blocked_address"
        );
        assert_eq!(
            check(&p, "ftp://public.example/").await.unwrap_err().code(),
            "unsupported_scheme"
        );
        assert_eq!(check(&p, "http://public.example:22/").await, Err(Refused::Port(22)));
        assert_eq!(check(&p, "http://public.example:25/").await, Err(Refused::Port(25)));
        assert_eq!(
            check(&p, "http://public.exa\nmple/").await,
            Err(Refused::ControlCharacters)
        );
        assert!(matches!(check(&p, "not a url").await, Err(Refused::ControlCharacters)));
        assert!(matches!(
            check(&p, "hooks.example/x").await,
            Err(Refused::InvalidUrl(_))
        ));
        assert!(
            matches!(check(&p, "http://[fe80::1%25eth0]/").await, Err(Refused::InvalidUrl(_))),
            "zone ids are not URLs"
        );
        let long = format!("http://{}.example/", "a.".repeat(130));
        assert_eq!(check(&p, &long).await, Err(Refused::HostTooLong));
    }

    #[tokio::test]
    async fn allow_private_targets_opens_private_networks_but_not_metadata() {
        let p = OutboundPolicy {
            allow_private_targets: true,
            ..policy()
        };
        for url in [
            "http://127.0.0.1:8080/",
            "http://0x7f.1/",
            "http://localhost/",
            "http://intranet.corp/",
            "http://[fd00::1]/",
            "http://100.64.0.1/",
        ] {
            assert!(check(&p, url).await.is_ok(), "{url}");
        }
        for url in [
            "http://169.254.169.254/",
            "http://[fd00:ec2::254]/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://metadata.google.internal/",
        ] {
            assert!(check(&p, url).await.is_err(), "{url}");
        }
    }

    #[tokio::test]
    async fn the_allowlist_opens_named_hosts_and_ranges_only() {
        let p = OutboundPolicy {
            allowlist: parse_allowlist(&["intranet.corp.", "10.9.0.0/16", "fd00::/64", "169.254.169.254"]).unwrap(),
            ..policy()
        };
        assert!(check(&p, "http://INTRANET.corp/").await.is_ok());
        assert!(check(&p, "http://10.9.1.1/").await.is_ok());
        assert!(check(&p, "http://[::ffff:10.9.1.1]/").await.is_ok());
        assert!(check(&p, "http://[fd00::1]/").await.is_ok());
        assert!(check(&p, "http://169.254.169.254/").await.is_ok(), "listed exactly");
        assert_eq!(blocked(check(&p, "http://10.8.1.1/").await).2, AddressKind::Private);
        assert_eq!(blocked(check(&p, "http://127.0.0.1/").await).2, AddressKind::Loopback);
        assert_eq!(
            blocked(check(&p, "http://[fd01::1]/").await).2,
            AddressKind::UniqueLocal
        );
        let wide = OutboundPolicy {
            allowlist: parse_allowlist(&["169.254.0.0/16", "0.0.0.0/0"]).unwrap(),
            ..policy()
        };
        assert!(check(&wide, "http://169.254.1.1/").await.is_ok());
        assert_eq!(
            blocked(check(&wide, "http://169.254.169.254/").await).2,
            AddressKind::Metadata,
            "a range does not open the metadata service"
        );
        assert_eq!(
            blocked(check(&wide, "http://0.0.0.0/").await).2,
            AddressKind::Unspecified,
            "nor what is never a web server"
        );
    }

    #[test]
    fn allowlist_entries_parse_every_form_and_name_bad_ones() {
        let parsed = parse_allowlist(&[
            "jira.corp.example",
            "Jira.Corp.Example.",
            "10.1.2.3",
            "10.1.2.0/24",
            "10.1.2.9/24",
            "::1",
            "[fd00::1]",
            "0x7f.1",
            "bücher.example",
        ])
        .unwrap();
        let shown: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "jira.corp.example",
                "jira.corp.example",
                "10.1.2.3/32",
                "10.1.2.0/24",
                "10.1.2.0/24",
                "::1/128",
                "fd00::1/128",
                "127.0.0.1/32",
                "xn--bcher-kva.example"
            ]
        );
        for bad in ["", "jira.corp:8080", "*.corp", "http://jira", "a b", "10.0.0.0/33"] {
            assert!(bad.parse::<AllowEntry>().is_err(), "{bad:?}");
        }
        assert!(parse_allowlist(&["10.0.0.1"; MAX_ALLOWLIST_ENTRIES + 1]).is_err());
    }
}
