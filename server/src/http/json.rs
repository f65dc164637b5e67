//! A JSON body extractor whose every refusal is the shared error body: 415 for another content type,
//! 413 for a body over the limit, 400 for broken JSON, 422 naming the field for a wrong value.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
};
use orgdeck_shared::FieldError;
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct ApiJson<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(unsupported());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest(format!("could not read the request body: {}", rej.body_text()))
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

fn unsupported() -> AppError {
    AppError::UnsupportedMediaType("send the body as Content-Type: application/json".into())
}

/// For handlers that must check headers first: the content type, then the body.
pub fn parse_request<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, AppError> {
    if !is_json(headers) {
        return Err(unsupported());
    }
    parse(body)
}

/// Parses a JSON body, naming the offending field when a value has the wrong shape. Text holding a NUL
/// character is refused, naming its field: no text of the API may hold one, and PostgreSQL cannot store it.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.windows(6).any(|w| w == b"\\u0000")
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = nul_in(&value, String::new())
    {
        return Err(AppError::Validation(vec![FieldError::new(
            if field.is_empty() { ".".to_owned() } else { field },
            "holds a NUL character (\\u0000), which no text may hold",
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.classify() == serde_json::error::Category::Data {
            let message = strip_position(&inner.to_string());
            let field = match message
                .strip_prefix("missing field `")
                .and_then(|m| m.split('`').next())
            {
                Some(missing) if path == "." => missing.to_owned(),
                Some(missing) => format!("{path}.{missing}"),
                None => path,
            };
            AppError::Validation(vec![FieldError::new(field, message)])
        } else {
            AppError::BadRequest(format!("the body is not valid JSON: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// The path (`members[2]`, `syslog.host`) of the first text or key holding a NUL character.
fn nul_in(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) => s.contains('\0').then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\u0000")))
            } else {
                nul_in(v, join(k))
            }
        }),
        _ => None,
    }
}

/// serde_json appends " at line L column C", which means nothing to the person reading the field error.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgdeck_shared::general::GeneralSettings;

    #[test]
    fn text_with_a_nul_character_is_refused_naming_its_field() {
        let AppError::Validation(fields) = parse::<serde_json::Value>(br#"{"a":{"b":["x","y\u0000z"]}}"#)
            .err()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(fields[0].field, "a.b[1]");
        // An escaped backslash before "u0000" is no NUL.
        assert!(parse::<serde_json::Value>(br#"{"a":"\\u0000"}"#).is_ok());
    }

    #[test]
    fn a_wrong_value_names_its_field() {
        let err = parse::<GeneralSettings>(br#"{"name":"a","date_format":"yyyy"}"#)
            .err()
            .unwrap();
        let AppError::Validation(fields) = err else {
            panic!("{err:?}")
        };
        assert_eq!(fields[0].field, "date_format");
        assert!(!fields[0].message.contains("line"));
    }

    #[test]
    fn a_missing_field_is_named_and_broken_json_is_a_bad_request() {
        let AppError::Validation(fields) = parse::<GeneralSettings>(b"{}").err().unwrap() else {
            panic!()
        };
        assert_eq!(fields[0].field, "name");
        assert!(matches!(
            parse::<GeneralSettings>(b"{\"name\":").err().unwrap(),
            AppError::BadRequest(_)
        ));
        assert!(matches!(
            parse::<GeneralSettings>(b"{\"name\":\"a\"} x").err().unwrap(),
            AppError::BadRequest(_)
        ));
    }
}
