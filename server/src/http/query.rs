//! A query-string extractor whose refusals are the shared error body, like [`super::json::ApiJson`]: a value
//! of the wrong shape (`limit=abc`, `limit=-1`, `status=gone`) is a 422 naming its parameter, and the
//! parsed query then passes its own range rules (`limit=0`) the same way.

use axum::{extract::FromRequestParts, http::request::Parts};
use orgdeck_shared::FieldError;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The query string parsed as `T`.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Parses a query string, naming the parameter whose value has the wrong shape.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "query".to_owned() } else { path };
        AppError::Validation(vec![FieldError::new(field, e.into_inner().to_string())])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgdeck_shared::users::UserQuery;

    fn field_of(query: &str) -> String {
        match parse::<UserQuery>(query) {
            Err(AppError::Validation(fields)) => fields[0].field.clone(),
            other => panic!("{query}: {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn a_value_of_the_wrong_shape_names_its_parameter() {
        assert_eq!(field_of("limit=abc"), "limit");
        assert_eq!(field_of("limit=-1"), "limit");
        assert_eq!(field_of("limit=99999999999"), "limit");
        assert_eq!(field_of("status=gone"), "status");
        assert_eq!(field_of("limit=1&limit=2"), "query");
        let q: UserQuery = parse("q=J%C3%BCrgen&limit=5&unknown=x").unwrap();
        assert_eq!((q.q.as_deref(), q.limit), (Some("Jürgen"), Some(5)));
    }
}
