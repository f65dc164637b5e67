//! Every route of the API described once, as a type: its method, its path with parameters, who may call
//! it, what its query, body and answer are. The server's router registers its handlers through these
//! types and the console's client builds its requests from them, so a route cannot drift between the
//! two; the OpenAPI document is generated from [`all`].
//!
//! An endpoint is a marker type implementing [`Endpoint`]; each area declares its own with
//! [`endpoints!`](crate::endpoints) in a module `endpoints` beside its wire types, lists them in its
//! `each` function, and that function is one line of [`each`].

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, de::DeserializeOwned};

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may call an endpoint (the server's extractors enforce it; this says it for clients and the docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// No credential (logging in, activating an invitation, health).
    Public,
    /// A logged-in session of any role (an API key is refused).
    Session,
    /// A session or an API key, any role.
    User,
    /// An organization admin's session or key.
    Admin,
    /// An organization admin's logged-in session: what hands out or revokes the organization's agent
    /// credentials, which no key may do (keys never manage keys).
    AdminSession,
    /// An agent key or the organization key, and nothing else: the agent routes (`agent/*`), which no
    /// session or personal key reaches (403) and which are all such a key reaches.
    Agent,
}

/// What a request body or an answer is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Content {
    /// No body: the type is `()` (a request without one, or `204 No Content`).
    None,
    /// `application/json`.
    Json,
    /// `text/csv` (user import).
    Csv,
    /// CSV or JSON lines, as the query's `format` asks (audit export, streamed).
    Export,
    /// Server-sent events (`text/event-stream`), each a JSON object, for as long as the client stays.
    EventStream,
    /// A document to save as a file: Markdown or HTML as the query's `format` asks (a report).
    Document,
}

/// One route. Implemented by marker types: the values a call needs are its [`Endpoint::Params`],
/// [`Endpoint::Query`] and [`Endpoint::Body`].
pub trait Endpoint: 'static {
    const METHOD: Method;
    /// The path template, parameters in braces: `/api/v1/users/{id}`.
    const PATH: &'static str;
    const ACCESS: Access;
    /// One line for people: what it does.
    const SUMMARY: &'static str;
    /// The status of a success (`201` for what creates, `204` when nothing comes back).
    const STATUS: u16 = 200;
    /// Whether a write must say the version it is based on (`If-Match`; `412` when stale).
    const IF_MATCH: IfMatch = IfMatch::No;
    /// The body's form when there is one ([`Content::None`] when `Body` is `()`, whatever this says).
    const BODY: Content = Content::Json;
    /// The answer's form when there is one ([`Content::None`] when `Response` is `()`).
    const ANSWER: Content = Content::Json;
    /// Whether a request must have its body (`false`: an empty body stands for the default).
    const BODY_REQUIRED: bool = true;
    /// Whether a success carries an `ETag` with the answer's version ([`Endpoint::etag_version`]).
    const ETAG: bool = false;

    /// The path parameters, in the template's order.
    type Params: PathParams;
    /// The query string's fields (`()` for none).
    type Query: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
    /// The request body (`()` for none).
    type Body: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
    /// The answer's body on success (`()` for none).
    type Response: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;

    /// The version a success's `ETag` carries: `Some` exactly when [`Endpoint::ETAG`] says so.
    fn etag_version(_answer: &Self::Response) -> Option<i64> {
        None
    }

    /// The path template the router registers; differs from [`Endpoint::PATH`] only when the type fills
    /// some of it itself (a settings area's name).
    fn template() -> Cow<'static, str> {
        Cow::Borrowed(Self::PATH)
    }

    /// The path of one call: the template with `params` filled in.
    fn path(params: &Self::Params) -> String {
        params.fill(&Self::template())
    }
}

/// Whether an endpoint takes `If-Match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfMatch {
    No,
    /// Refused with `428` without it.
    Required,
    /// Checked when sent.
    Optional,
}

/// A value with a version, as an `ETag` carries it (`"7"`).
pub trait HasVersion {
    fn version(&self) -> i64;
}

/// Values that fill a path template's parameters, in order.
pub trait PathParams: Clone + Send + Sync + 'static {
    /// Each parameter's text, in the template's order.
    fn values(&self) -> Vec<String>;

    /// Each parameter's JSON Schema, in the template's order.
    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema>;

    /// `template` with each `{name}` replaced by the next value, percent-encoded.
    fn fill(&self, template: &str) -> String {
        let mut values = self.values().into_iter();
        let mut out = String::with_capacity(template.len() + 40);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            out.push_str(&rest[..open]);
            match values.next() {
                Some(v) => out.push_str(&encode_segment(&v)),
                None => out.push_str(&rest[open..open + close + 1]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }
}

impl PathParams for () {
    fn values(&self) -> Vec<String> {
        Vec::new()
    }
    fn schemas(_: &mut SchemaGenerator) -> Vec<Schema> {
        Vec::new()
    }
}

impl PathParams for uuid::Uuid {
    fn values(&self) -> Vec<String> {
        vec![self.to_string()]
    }
    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![generator.subschema_for::<Self>()]
    }
}

impl PathParams for String {
    fn values(&self) -> Vec<String> {
        vec![self.clone()]
    }
    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![generator.subschema_for::<Self>()]
    }
}

impl<A, B> PathParams for (A, B)
where
    A: std::fmt::Display + JsonSchema + Clone + Send + Sync + 'static,
    B: std::fmt::Display + JsonSchema + Clone + Send + Sync + 'static,
{
    fn values(&self) -> Vec<String> {
        vec![self.0.to_string(), self.1.to_string()]
    }
    fn schemas(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![generator.subschema_for::<A>(), generator.subschema_for::<B>()]
    }
}

/// Percent-encodes everything but the unreserved characters, so a value is one path segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `T` is `()`: an endpoint without a body, or without an answer.
pub fn is_unit<T: 'static>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>()
}

/// What the documentation knows of one endpoint, without its types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub name: &'static str,
    pub method: Method,
    /// The path the router registers ([`Endpoint::template`]).
    pub template: Cow<'static, str>,
    /// The template as declared ([`Endpoint::PATH`]): differs from `template` when the type fills some
    /// of it (`/api/v1/settings/{area}` for `/api/v1/settings/general`).
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub status: u16,
    pub if_match: IfMatch,
    pub etag: bool,
    pub body: Content,
    pub body_required: bool,
    pub answer: Content,
    pub query: &'static str,
    pub body_type: &'static str,
    pub response_type: &'static str,
}

/// The description of `E`.
pub fn describe<E: Endpoint>() -> Described {
    let short = |name: &'static str| name.rsplit("::").next().unwrap_or(name);
    Described {
        name: std::any::type_name::<E>(),
        method: E::METHOD,
        template: E::template(),
        path: E::PATH,
        access: E::ACCESS,
        summary: E::SUMMARY.trim(),
        status: E::STATUS,
        if_match: E::IF_MATCH,
        etag: E::ETAG,
        body: if is_unit::<E::Body>() { Content::None } else { E::BODY },
        body_required: E::BODY_REQUIRED && !is_unit::<E::Body>(),
        answer: if is_unit::<E::Response>() {
            Content::None
        } else {
            E::ANSWER
        },
        query: short(std::any::type_name::<E::Query>()),
        body_type: std::any::type_name::<E::Body>(),
        response_type: std::any::type_name::<E::Response>(),
    }
}

/// Declares endpoint marker types: one line each.
///
/// ```ignore
/// endpoints! {
///     /// Lists users.
///     List: GET USERS, Admin, params (), query UserQuery, body () => Page<User>;
/// }
/// ```
/// Optional after the answer type, in this order: `status 201`, `if_match Required`, `body_content Csv`,
/// `answer_content Export`, `body_required false`, `etag true` (the answer implements
/// [`HasVersion`](crate::endpoint::HasVersion); a success carries its version as `ETag`).
#[macro_export]
macro_rules! endpoints {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $method:ident $path:expr, $access:ident,
        params $params:ty, query $query:ty, body $body:ty => $resp:ty
        $(, status $status:literal)?
        $(, if_match $if_match:ident)?
        $(, body_content $bc:ident)?
        $(, answer_content $ac:ident)?
        $(, body_required $br:literal)?
        $(, etag $etag:literal)?
        ;
    )*) => {$(
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl $crate::endpoint::Endpoint for $name {
            const METHOD: $crate::endpoint::Method = $crate::endpoint::Method::$method;
            const PATH: &'static str = $path;
            const ACCESS: $crate::endpoint::Access = $crate::endpoint::Access::$access;
            const SUMMARY: &'static str = concat!($($doc),+);
            $(const STATUS: u16 = $status;)?
            $(const IF_MATCH: $crate::endpoint::IfMatch = $crate::endpoint::IfMatch::$if_match;)?
            $(const BODY: $crate::endpoint::Content = $crate::endpoint::Content::$bc;)?
            $(const ANSWER: $crate::endpoint::Content = $crate::endpoint::Content::$ac;)?
            $(const BODY_REQUIRED: bool = $br;)?
            $(const ETAG: bool = $etag;)?
            type Params = $params;
            type Query = $query;
            type Body = $body;
            type Response = $resp;
            $(
                fn etag_version(answer: &Self::Response) -> Option<i64> {
                    $etag.then(|| $crate::endpoint::HasVersion::version(answer))
                }
            )?
        }
    )*};
}

/// What is done once per endpoint ([`each`] calls it with every endpoint type of the API).
pub trait EndpointVisitor {
    fn visit<E: Endpoint>(&mut self);
}

/// Every endpoint type of the API: one line per area.
pub fn each(v: &mut impl EndpointVisitor) {
    crate::auth::endpoints::each(v);
    crate::settings::endpoints::each(v);
    crate::inventory::endpoints::each(v);
    crate::audit::endpoints::each(v);
    crate::users::endpoints::each(v);
    crate::groups::endpoints::each(v);
    crate::security::endpoints::each(v);
    crate::api_keys::endpoints::each(v);
    crate::integrations::endpoints::each(v);
    crate::notifications::endpoints::each(v);
    crate::inbox::endpoints::each(v);
    crate::agents::endpoints::each(v);
    crate::vulnerabilities::endpoints::each(v);
    crate::servers::endpoints::each(v);
    crate::reports::endpoints::each(v);
    crate::scores::endpoints::each(v);
    crate::account::endpoints::each(v);
    crate::events::endpoints::each(v);
    crate::openapi::endpoints::each(v);
}

/// Every endpoint of the API, described.
pub fn all() -> Vec<Described> {
    struct Collect(Vec<Described>);
    impl EndpointVisitor for Collect {
        fn visit<E: Endpoint>(&mut self) {
            self.0.push(describe::<E>());
        }
    }
    let mut out = Collect(Vec::new());
    each(&mut out);
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_their_parameters_in_order_and_encode_them() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            ("a b".to_owned(), "x/y".to_owned()).fill("/api/v1/users/{id}/sessions/{session_id}"),
            "/api/v1/users/a%20b/sessions/x%2Fy"
        );
        assert_eq!(id.fill("/api/v1/users/{id}"), format!("/api/v1/users/{id}"));
        assert_eq!(().fill("/api/v1/me"), "/api/v1/me");
    }

    #[test]
    fn every_route_is_described_once() {
        let all = all();
        let mut seen = std::collections::BTreeSet::new();
        for d in &all {
            assert!(d.template.starts_with(crate::routes::API_PREFIX), "{d:?}");
            assert!(
                seen.insert((d.method, d.template.clone())),
                "twice: {} {}",
                d.method,
                d.template
            );
            assert!(!d.summary.trim().is_empty(), "{} has no summary", d.name);
            if d.method == Method::Get {
                assert_eq!(d.body, Content::None, "{} is a GET with a body", d.name);
            }
        }
        assert!(all.len() >= 45, "{} endpoints", all.len());
    }
}
