//! One API call as data: a shared endpoint with its values, and the function that turns its answer into
//! a message of whoever made the call. `update` returns calls inside commands; the runner performs them
//! ([`super::ApiClient::perform`]) and the app hands the answer back to the tab (or dialog) that asked.
//! No list of every request exists: a tab's calls and their answers are the tab's own.

use std::{
    any::{Any, TypeId},
    fmt,
    sync::Arc,
};

use orgdeck_shared::{
    ApiError, ErrorCode,
    endpoint::{Access, Endpoint, Method},
};
use serde::{Serialize, de::DeserializeOwned};

/// What a call sends besides its path.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    None,
    /// A JSON body (kept as JSON so a call compares and retries; never printed: it may hold a password).
    Json(serde_json::Value),
    /// The CSV file at this path, read by the runner (not in `update`) and sent as `text/csv`.
    CsvFile(String),
}

/// Where a streamed answer goes instead of into a message (the audit export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveTo {
    pub path: String,
    /// Replace an existing file (the user confirmed); otherwise an existing file is an error.
    pub overwrite: bool,
    /// The CSV header line is not a row.
    pub csv: bool,
}

/// Who gets a call's answer: stamped by the app when the call leaves its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Owner {
    /// The console itself (logging in, `GET me`).
    #[default]
    App,
    /// The two-step enrolment the organization requires, shown before the tabs.
    Enrolment,
    /// The tab at this index.
    Tab(usize),
}

/// An answer's typed value, shared so a message can be cloned (a test sends one twice).
#[derive(Clone)]
pub struct Answer(Arc<dyn Any + Send + Sync>);

impl Answer {
    pub fn new<T: Any + Send + Sync>(value: T) -> Answer {
        Answer(Arc::new(value))
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Answer(..)")
    }
}

impl PartialEq for Answer {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A message for the owner of a call, of the owner's own type (it downcasts).
pub type OwnerMsg = Box<dyn Any + Send>;

type Decode = fn(&[u8]) -> Result<Answer, String>;
type Finish = Arc<dyn Fn(Result<&Answer, &ApiError>) -> OwnerMsg + Send + Sync>;

/// One API call. Compares by what it sends (endpoint, path, body, version), not by its function.
#[derive(Clone)]
pub struct Call {
    pub method: Method,
    /// The path with its parameters and query string.
    pub path: String,
    pub payload: Payload,
    /// The version a write is based on (`If-Match`).
    pub if_match: Option<i64>,
    pub access: Access,
    /// What the call does, for the status line and the log: "loading users".
    pub label: &'static str,
    /// Whether it may be sent again unchanged after the user logs in again (a new secret, a code or a
    /// new key is never sent again behind the user's back).
    pub retryable: bool,
    pub save_to: Option<SaveTo>,
    pub owner: Owner,
    endpoint: TypeId,
    endpoint_name: &'static str,
    decode: Decode,
    finish: Finish,
}

impl Call {
    /// A call of `E` with its path parameters and body; `then` makes the owner's message of the answer.
    pub fn new<E, M>(
        params: E::Params,
        body: &E::Body,
        then: impl Fn(Result<E::Response, ApiError>) -> M + Send + Sync + 'static,
    ) -> Call
    where
        E: Endpoint,
        E::Response: Clone,
        M: Send + 'static,
    {
        Call::build::<E, E::Response, M>(params, body, then)
    }

    /// A call of `E` whose answer the runner turns into an `R` (a streamed export becomes its report).
    fn build<E, R, M>(
        params: E::Params,
        body: &E::Body,
        then: impl Fn(Result<R, ApiError>) -> M + Send + Sync + 'static,
    ) -> Call
    where
        E: Endpoint,
        R: Clone + DeserializeOwned + Send + Sync + 'static,
        M: Send + 'static,
    {
        let payload = if orgdeck_shared::endpoint::is_unit::<E::Body>() {
            Payload::None
        } else {
            Payload::Json(serde_json::to_value(body).expect("a request body serializes"))
        };
        Call {
            method: E::METHOD,
            path: E::path(&params),
            payload,
            if_match: None,
            access: E::ACCESS,
            label: "working",
            retryable: true,
            save_to: None,
            owner: Owner::App,
            endpoint: TypeId::of::<E>(),
            endpoint_name: std::any::type_name::<E>(),
            decode: decode::<R>,
            finish: Arc::new(move |result| {
                let result = match result {
                    Ok(answer) => Ok(answer
                        .0
                        .downcast_ref::<R>()
                        .unwrap_or_else(|| panic!("an answer of another type for {}", std::any::type_name::<E>()))
                        .clone()),
                    Err(e) => Err(e.clone()),
                };
                Box::new(then(result))
            }),
        }
    }

    /// A call of `E` whose answer streams to a file ([`SaveTo`]); `then` gets what was written.
    pub fn save_to<E, M>(
        params: E::Params,
        save: SaveTo,
        then: impl Fn(Result<super::ExportReport, ApiError>) -> M + Send + Sync + 'static,
    ) -> Call
    where
        E: Endpoint<Body = ()>,
        M: Send + 'static,
    {
        let mut call = Call::build::<E, super::ExportReport, M>(params, &(), then);
        call.save_to = Some(save);
        call
    }

    /// A call of `E` with a body whose answer (a document) is written to a file ([`SaveTo`]).
    pub fn save_with_body<E, M>(
        params: E::Params,
        body: &E::Body,
        save: SaveTo,
        then: impl Fn(Result<super::ExportReport, ApiError>) -> M + Send + Sync + 'static,
    ) -> Call
    where
        E: Endpoint,
        M: Send + 'static,
    {
        let mut call = Call::build::<E, super::ExportReport, M>(params, body, then);
        call.save_to = Some(save);
        call
    }

    /// A call of `E` without a body.
    pub fn of<E, M>(
        params: E::Params,
        then: impl Fn(Result<E::Response, ApiError>) -> M + Send + Sync + 'static,
    ) -> Call
    where
        E: Endpoint<Body = ()>,
        E::Response: Clone,
        M: Send + 'static,
    {
        Call::new::<E, M>(params, &(), then)
    }

    /// With a query string.
    pub fn query<Q: Serialize>(mut self, query: &Q) -> Call {
        let text = serde_urlencoded::to_string(query).expect("a query serializes");
        if !text.is_empty() {
            self.path.push('?');
            self.path.push_str(&text);
        }
        self
    }

    /// Labelled for the status line: "loading users".
    pub fn label(mut self, label: &'static str) -> Call {
        self.label = label;
        self
    }

    /// Based on `version` (`If-Match`).
    pub fn if_match(mut self, version: i64) -> Call {
        self.if_match = Some(version);
        self
    }

    /// May (or may not) be sent again after the user logs in again.
    pub fn retryable(mut self, yes: bool) -> Call {
        self.retryable = yes;
        self
    }

    /// Sends the CSV file at `path` as the body (read by the runner).
    pub fn csv_file(mut self, path: impl Into<String>) -> Call {
        self.payload = Payload::CsvFile(path.into());
        self
    }

    /// Whether this is a call of `E`.
    pub fn is<E: Endpoint>(&self) -> bool {
        self.endpoint == TypeId::of::<E>()
    }

    /// The endpoint's type name (`orgdeck_shared::users::endpoints::List`).
    pub fn endpoint(&self) -> &'static str {
        self.endpoint_name
    }

    /// The JSON body as `T` (tests look at what was sent).
    pub fn body_as<T: DeserializeOwned>(&self) -> Option<T> {
        match &self.payload {
            Payload::Json(v) => serde_json::from_value(v.clone()).ok(),
            _ => None,
        }
    }

    /// The query string as `T`.
    pub fn query_as<T: DeserializeOwned>(&self) -> Option<T> {
        let query = self.path.split_once('?').map(|(_, q)| q).unwrap_or("");
        serde_urlencoded::from_str(query).ok()
    }

    /// Decodes a successful answer's body.
    pub fn decode(&self, body: &[u8]) -> Result<Answer, ApiError> {
        (self.decode)(body).map_err(|e| {
            ApiError::new(
                ErrorCode::Unknown,
                format!("the server answered something this console cannot read: {e}"),
            )
        })
    }

    /// The owner's message of an answer.
    pub fn finish(&self, result: Result<&Answer, &ApiError>) -> OwnerMsg {
        (self.finish)(result)
    }
}

fn decode<T: DeserializeOwned + Send + Sync + 'static>(body: &[u8]) -> Result<Answer, String> {
    let body = if body.is_empty() { b"null".as_slice() } else { body };
    serde_json::from_slice::<T>(body)
        .map(Answer::new)
        .map_err(|e| e.to_string())
}

impl PartialEq for Call {
    fn eq(&self, other: &Self) -> bool {
        self.endpoint == other.endpoint
            && self.path == other.path
            && self.payload == other.payload
            && self.if_match == other.if_match
            && self.save_to == other.save_to
            && self.owner == other.owner
    }
}

/// The method, path and label; never the body (it may hold a password or a code).
impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Call({} {} {:?}", self.method, self.path, self.label)?;
        if let Some(v) = self.if_match {
            write!(f, " if-match {v}")?;
        }
        write!(f, " to {:?})", self.owner)
    }
}

#[cfg(test)]
mod tests {
    use orgdeck_shared::{
        auth::{LoginRequest, Secret, endpoints::Login},
        users::{UserQuery, UserStatus, endpoints as users},
    };
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_call_fills_its_path_and_query_and_compares_by_what_it_sends() {
        let id = Uuid::from_u128(7);
        let q = UserQuery {
            q: Some("ana lima&co".into()),
            status: Some(UserStatus::Locked),
            sort: Some("-email".into()),
            ..Default::default()
        };
        let list = Call::of::<users::List, _>((), |r| r.is_ok()).query(&q);
        assert_eq!(list.path, "/api/v1/users?q=ana+lima%26co&status=locked&sort=-email");
        assert_eq!(
            list.query_as::<UserQuery>(),
            Some(q),
            "the server reads back what was sent"
        );
        let get = Call::of::<users::Get, _>(id, |r| r.is_ok());
        assert_eq!(get.path, format!("/api/v1/users/{id}"));
        assert!(get.is::<users::Get>() && !get.is::<users::List>());
        // Another function, the same request: equal (a retried call is found again).
        assert_eq!(get, Call::of::<users::Get, _>(id, |r| r.map(|u| u.email).ok()));
        assert_ne!(get.clone().if_match(3), get);
    }

    #[test]
    fn the_body_never_prints() {
        let body = LoginRequest {
            email: "a@b.c".into(),
            password: Secret::new("hunter2-very-secret"),
        };
        let call = Call::new::<Login, _>((), &body, |r| r.is_ok()).label("logging in");
        let printed = format!("{call:?}");
        assert!(printed.contains("POST /api/v1/auth/login"), "{printed}");
        assert!(!printed.contains("hunter2") && !printed.contains("a@b.c"), "{printed}");
        let sent: LoginRequest = call.body_as().unwrap();
        assert_eq!(sent.password.expose(), "hunter2-very-secret");
    }

    #[test]
    fn an_answer_becomes_the_owners_message_and_a_bad_body_a_clear_error() {
        let call = Call::of::<users::Get, _>(Uuid::nil(), |r| r.map(|u| u.email));
        let e = call.decode(b"{\"not\":\"a user\"}").unwrap_err();
        assert_eq!(e.code, ErrorCode::Unknown);
        assert!(e.message.contains("cannot read"), "{}", e.message);
        let refused = ApiError::new(ErrorCode::NotFound, "user not found");
        let msg = call.finish(Err(&refused));
        let msg = msg.downcast::<Result<String, ApiError>>().expect("the owner's type");
        assert_eq!(*msg, Err(refused));
    }
}
