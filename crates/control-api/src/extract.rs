//! Extractors for what most handlers take from a request besides its body: the caller's scope, the
//! query, the `Qualifier` and the paging parameters. Each is a thin `FromRequestParts` over a pure parser
//! (in `request.rs`), so handlers list what they need in their signature and parse nothing themselves.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lamina_auth::Caller;
use lamina_engine::Scope;

use crate::error::ApiError;
use crate::request::Query;

/// The caller's (account, region), as the engine takes it: from the [`Caller`] that authentication
/// (`auth.rs`) left in the request's extensions, so no handler reads the `Authorization` header.
#[derive(Debug, Clone)]
pub(crate) struct CallerScope(pub(crate) Scope);

impl<S: Send + Sync> FromRequestParts<S> for CallerScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let caller = parts.extensions.get::<Caller>().ok_or_else(|| {
            lamina_engine::EngineError::Internal("a route outside the authentication layer".into())
        })?;
        Ok(CallerScope(Scope {
            region: caller.region.clone(),
            account: caller.account_id.clone(),
        }))
    }
}

/// The query parameters, repeated keys kept; a request without a query has none.
impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Query::parse(parts.uri.query()))
    }
}

/// The `Qualifier` query parameter (a version or alias) of the operations on one function.
#[derive(Debug, Clone)]
pub(crate) struct Qualifier(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Qualifier {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Qualifier(
            Query::parse(parts.uri.query())
                .get("Qualifier")
                .map(str::to_owned),
        ))
    }
}

/// The paging parameters of the List operations: `Marker` and `MaxItems` (an integer; anything else is
/// refused as AWS's deserializer refuses it). Their ranges are the engine's to check.
#[derive(Debug, Clone, Default)]
pub(crate) struct Paging {
    /// Where the previous page ended.
    pub(crate) marker: Option<String>,
    /// The most items to return.
    pub(crate) max_items: Option<i64>,
}

impl Paging {
    /// The paging parameters of `query`.
    pub(crate) fn of(query: &Query) -> Result<Self, ApiError> {
        Ok(Paging {
            marker: query.get("Marker").map(str::to_owned),
            max_items: query.int("MaxItems")?,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Paging::of(&Query::parse(parts.uri.query()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_takes_marker_and_an_integer_max_items() {
        let paging = Paging::of(&Query::parse(Some("Marker=abc&MaxItems=10"))).expect("paging");
        assert_eq!(paging.marker.as_deref(), Some("abc"));
        assert_eq!(paging.max_items, Some(10));
        let none = Paging::of(&Query::parse(None)).expect("paging");
        assert_eq!((none.marker, none.max_items), (None, None));
        let refused = Paging::of(&Query::parse(Some("MaxItems=ten"))).expect_err("not an integer");
        assert_eq!(refused.to_string(), "MaxItems must be an integer, got 'ten'");
    }

    #[tokio::test]
    async fn extractors_read_the_request_parts() {
        let request = axum::http::Request::get("/x?Qualifier=%24LATEST&MaxItems=2")
            .body(())
            .expect("request");
        let (mut parts, ()) = request.into_parts();
        let Qualifier(qualifier) = Qualifier::from_request_parts(&mut parts, &())
            .await
            .expect("qualifier");
        assert_eq!(qualifier.as_deref(), Some("$LATEST"));
        let paging = Paging::from_request_parts(&mut parts, &()).await.expect("paging");
        assert_eq!(paging.max_items, Some(2));
        assert!(
            CallerScope::from_request_parts(&mut parts, &()).await.is_err(),
            "no caller recorded"
        );
        parts.extensions.insert(Caller {
            access_key_id: "AKID".into(),
            account_id: "123456789012".into(),
            region: "eu-west-1".into(),
        });
        let CallerScope(scope) = CallerScope::from_request_parts(&mut parts, &())
            .await
            .expect("scope");
        assert_eq!(
            (scope.account.as_str(), scope.region.as_str()),
            ("123456789012", "eu-west-1")
        );
    }
}
