//! The router built from the shared endpoint types ([`orgdeck_shared::endpoint`]): [`Api::at`] registers
//! a handler under its endpoint's method and path, and compiles only for a handler whose success is that
//! endpoint's [`Reply`], which is made from the endpoint's answer type and sent with its status (and its
//! `ETag` where the endpoint has one). So a route cannot drift from its description, nor a handler answer
//! another type than its endpoint says.

use std::{future::Future, marker::PhantomData};

use axum::{
    Json, Router,
    body::Bytes,
    handler::Handler,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{MethodFilter, on},
};
use orgdeck_shared::{
    endpoint::{Content, Endpoint, Method, is_unit},
    etag_for,
};
use serde::Serialize;

use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

/// A success of endpoint `E`.
pub struct Reply<E: Endpoint>(Answer<E>);

enum Answer<E: Endpoint> {
    Value(E::Response),
    Encoded(Bytes),
    /// A body written while it is sent (the audit export), which no value of `E::Response` holds.
    Stream(Response),
}

impl<E: Endpoint> Reply<E> {
    /// The answer: `E::STATUS`, the value as JSON (nothing for `()`), and the `ETag` of its version
    /// when the endpoint has one. Only a value of the endpoint's answer type will do:
    /// ```compile_fail,E0308
    /// use orgdeck_server::routes::Reply;
    /// use orgdeck_shared::{auth::endpoints::Health, groups::GroupDeleted};
    ///
    /// let _ = Reply::<Health>::new(GroupDeleted { members_affected: 0 });
    /// ```
    /// and a streamed endpoint answers a stream ([`Reply::stream`]), never a value:
    /// ```compile_fail,E0080
    /// use orgdeck_server::routes::Reply;
    /// use orgdeck_shared::audit::endpoints::Export;
    ///
    /// let _ = Reply::<Export>::new(String::new());
    /// ```
    pub fn new(answer: E::Response) -> Self {
        const {
            assert!(
                !matches!(E::ANSWER, Content::Export | Content::EventStream | Content::Document),
                "a streamed answer is a Reply::stream"
            )
        };
        Reply(Answer::Value(answer))
    }

    /// An answer encoded once and sent many times (the OpenAPI document).
    pub fn encoded(answer: &Encoded<E::Response>) -> Self {
        const {
            assert!(
                matches!(E::ANSWER, Content::Json) && !E::ETAG,
                "an encoded answer is plain JSON"
            )
        };
        Reply(Answer::Encoded(answer.json.clone()))
    }

    /// A streamed answer (its content type and headers already set), for an endpoint that says its
    /// answer is streamed.
    pub fn stream(response: Response) -> Self {
        const {
            assert!(
                matches!(E::ANSWER, Content::Export | Content::EventStream | Content::Document),
                "only a streamed endpoint answers a stream"
            )
        };
        Reply(Answer::Stream(response))
    }
}

impl<E: Endpoint> IntoResponse for Reply<E> {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(E::STATUS).unwrap_or(StatusCode::OK);
        let answer = match self.0 {
            Answer::Stream(mut response) => {
                *response.status_mut() = status;
                return response;
            }
            Answer::Encoded(json) => {
                return (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
            }
            Answer::Value(answer) => answer,
        };
        if is_unit::<E::Response>() {
            return status.into_response();
        }
        let version = E::etag_version(&answer);
        let mut response = (status, Json(answer)).into_response();
        if let Some(etag) = version.and_then(|v| HeaderValue::from_str(&etag_for(v)).ok()) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    }
}

/// A value of `T` as JSON, encoded once: cloning it shares the bytes.
pub struct Encoded<T> {
    json: Bytes,
    of: PhantomData<fn() -> T>,
}

impl<T: Serialize> Encoded<T> {
    pub fn new(value: &T) -> Self {
        let json = serde_json::to_vec(value).expect("a wire type serializes");
        Encoded {
            json: Bytes::from(json),
            of: PhantomData,
        }
    }
}

/// What a handler's future answers, whatever its extractors: implemented for every async function
/// axum takes as a handler (the same argument lists as [`Handler`]), so [`Api::at`] can require it.
#[diagnostic::on_unimplemented(message = "`{Self}` is not an async function of axum extractors")]
pub trait HandlerOutput<T> {
    type Output;
}

impl<F, Fut> HandlerOutput<((),)> for F
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    type Output = Fut::Output;
}

macro_rules! handler_output {
    ($($ty:ident),*; $last:ident) => {
        impl<F, Fut, M, $($ty,)* $last> HandlerOutput<(M, $($ty,)* $last,)> for F
        where
            F: FnOnce($($ty,)* $last) -> Fut,
            Fut: Future,
        {
            type Output = Fut::Output;
        }
    };
}

handler_output!(; T1);
handler_output!(T1; T2);
handler_output!(T1, T2; T3);
handler_output!(T1, T2, T3; T4);
handler_output!(T1, T2, T3, T4; T5);
handler_output!(T1, T2, T3, T4, T5; T6);
handler_output!(T1, T2, T3, T4, T5, T6; T7);
handler_output!(T1, T2, T3, T4, T5, T6, T7; T8);

/// One route the router has: a method and a path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Routed {
    pub method: Method,
    pub path: String,
}

/// The API's router being built, with every route it was given.
#[derive(Default)]
pub struct Api {
    router: Router<AppState>,
    routed: Vec<Routed>,
}

impl Api {
    pub fn new() -> Self {
        Self::default()
    }

    /// `handler` answers `endpoint` (`E::METHOD` on `E::template()`).
    ///
    /// ```
    /// use orgdeck_server::{error::AppResult, routes::{Api, Reply}};
    /// use orgdeck_shared::auth::{HealthStatus, endpoints::Health};
    ///
    /// async fn health() -> AppResult<Reply<Health>> {
    ///     Ok(Reply::new(HealthStatus { status: "ok".into() }))
    /// }
    /// let api = Api::new().at(Health, health);
    /// assert_eq!(api.routed()[0].path, "/api/v1/health");
    /// ```
    /// A handler registered for another endpoint than the one it answers does not compile:
    /// ```compile_fail,E0271
    /// use orgdeck_server::{error::AppResult, routes::{Api, Reply}};
    /// use orgdeck_shared::auth::{HealthStatus, endpoints::{Health, Login}};
    ///
    /// async fn health() -> AppResult<Reply<Health>> {
    ///     Ok(Reply::new(HealthStatus { status: "ok".into() }))
    /// }
    /// let api = Api::new().at(Login, health);
    /// ```
    pub fn at<E, H, T>(self, _endpoint: E, handler: H) -> Self
    where
        E: Endpoint,
        H: Handler<T, AppState> + HandlerOutput<T, Output = AppResult<Reply<E>>>,
        T: 'static,
    {
        self.register(E::METHOD, E::template().into_owned(), handler)
    }

    /// The rest of `E`'s declared path where its type fills a parameter itself (`settings/{area}` for
    /// the names of no area): `handler` can only refuse.
    pub fn rest_of<E, H, T>(self, _endpoint: E, handler: H) -> Self
    where
        E: Endpoint,
        H: Handler<T, AppState> + HandlerOutput<T, Output = AppError>,
        T: 'static,
    {
        assert_ne!(E::PATH, E::template(), "{} has no parameter of its own", E::PATH);
        self.register(E::METHOD, E::PATH.to_owned(), handler)
    }

    pub fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.routed.extend(other.routed);
        self
    }

    /// Every route, in the order given.
    pub fn routed(&self) -> &[Routed] {
        &self.routed
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    // Routes of one path registered apart merge into one method router (axum panics on a method
    // registered twice, so an endpoint routed twice stops the server at start).
    fn register<H, T>(mut self, method: Method, path: String, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(&path, on(filter(method), handler));
        self.routed.push(Routed { method, path });
        self
    }
}

fn filter(method: Method) -> MethodFilter {
    match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Patch => MethodFilter::PATCH,
        Method::Delete => MethodFilter::DELETE,
    }
}
