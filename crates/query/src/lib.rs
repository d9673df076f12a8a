//! The AWS query protocol as lamina's services speak it (STS, CloudFormation): `Action=...&Version=...`
//! in the form body or the query string ([`Params`], with lists and structures), XML answers wrapped
//! in `<{Action}Response><{Action}Result>` with the request id ([`Service::answer`]), errors as
//! `<ErrorResponse>` ([`QueryError`]). Requests are verified with SigV4 for the service's name by
//! `lamina-auth`, or taken in a default account when authentication is off.

mod params;
mod xml;

pub use params::Params;
pub use xml::{Element, escape};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use lamina_auth::{AuthError, Caller, CredentialSet, Verifier};

/// A query-protocol error: status, code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code (`ValidationError`, `AccessDenied`, ...).
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl QueryError {
    /// A 400 the caller caused.
    pub fn sender(code: &'static str, message: impl Into<String>) -> Self {
        QueryError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    /// A 400 `ValidationError`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::sender("ValidationError", message)
    }

    /// A 500 `InternalFailure`: the server failed.
    pub fn internal(message: impl Into<String>) -> Self {
        QueryError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalFailure",
            message: message.into(),
        }
    }

    /// The query protocol's names for a refused signature (no `Exception` suffix).
    pub fn auth(refusal: &AuthError) -> Self {
        let code = match refusal.code() {
            "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
            "IncompleteSignatureException" => "IncompleteSignature",
            "UnrecognizedClientException" => "InvalidClientTokenId",
            "ExpiredTokenException" => "ExpiredToken",
            "AccessDenied" => "AccessDenied",
            _ => "SignatureDoesNotMatch",
        };
        QueryError {
            status: StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN),
            code,
            message: refusal.to_string().trim_end().to_owned(),
        }
    }
}

/// A verified request: who sent it, what it asks.
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// The caller (account and region of the signature).
    pub caller: Caller,
    /// Its parameters.
    pub params: Params,
}

impl QueryRequest {
    /// The `Action` parameter (empty when absent).
    pub fn action(&self) -> &str {
        self.params.get("Action").unwrap_or_default()
    }
}

/// One query-protocol service: its XML namespace, API version and how its requests are verified.
#[derive(Debug)]
pub struct Service {
    namespace: &'static str,
    version: &'static str,
    verifier: Option<Verifier>,
    default_account: String,
    body_max: usize,
}

impl Service {
    /// The service signed as `name` (`sts`, `cloudformation`), answering in `namespace` for API
    /// `version`; `credentials` `None` takes every request in `default_account`. Bodies over
    /// `body_max` bytes are refused.
    pub fn new(
        name: &str,
        (namespace, version): (&'static str, &'static str),
        credentials: Option<CredentialSet>,
        default_account: String,
        body_max: usize,
    ) -> Self {
        Service {
            namespace,
            version,
            verifier: credentials.map(|keys| Verifier::new(keys, name)),
            default_account,
            body_max,
        }
    }

    /// Reads and verifies a request.
    pub async fn read(&self, request: Request) -> Result<QueryRequest, QueryError> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, self.body_max)
            .await
            .map_err(|_| QueryError::validation("The request body is too large."))?;
        let caller = match &self.verifier {
            Some(verifier) => {
                verifier
                    .verify_whole(&parts.method, &parts.uri, &parts.headers, &body)
                    .map_err(|refusal| QueryError::auth(&refusal))?
                    .caller
            }
            None => Caller {
                access_key_id: String::new(),
                account_id: self.default_account.clone(),
                region: lamina_auth::signed_region(&parts.headers, &parts.uri)
                    .unwrap_or_else(|| "us-east-1".into()),
            },
        };
        Ok(QueryRequest {
            caller,
            params: Params::parse(parts.uri.query(), &body),
        })
    }

    /// The error for an action this service does not serve (`""`: no action at all).
    pub fn unknown_action(&self, action: &str) -> QueryError {
        if action.is_empty() {
            return QueryError::sender("MissingAction", "Missing Action");
        }
        QueryError::sender(
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {} on this server (lamina)",
                self.version
            ),
        )
    }

    /// The answer to `action`: its result's XML (`Ok`) or the error.
    pub fn answer(&self, action: &str, result: Result<String, QueryError>) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        let namespace = self.namespace;
        match result {
            Ok(result) => xml_response(
                StatusCode::OK,
                format!(
                    "<{action}Response xmlns=\"{namespace}\"><{action}Result>{result}</{action}Result>\
                     <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
                ),
                &request_id,
            ),
            Err(e) => {
                let kind = if e.status.is_server_error() {
                    "Receiver"
                } else {
                    "Sender"
                };
                let body = format!(
                    "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code>\
                     <Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                    e.code,
                    escape(&e.message)
                );
                xml_response(e.status, body, &request_id)
            }
        }
    }
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/xml")
        .header("x-amzn-RequestId", request_id)
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> Service {
        Service::new(
            "sts",
            ("https://sts.amazonaws.com/doc/2011-06-15/", "2011-06-15"),
            None,
            "123456789012".into(),
            1024,
        )
    }

    async fn text(response: Response) -> (StatusCode, String) {
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, String::from_utf8(body.to_vec()).expect("utf-8"))
    }

    #[tokio::test]
    async fn answers_and_errors_are_wrapped_as_the_protocol_says() {
        let (status, body) = text(service().answer("GetX", Ok("<A>1</A>".into()))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.starts_with(
                "<GetXResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetXResult><A>1</A></GetXResult>\
                 <ResponseMetadata><RequestId>"
            ),
            "{body}"
        );
        let (status, body) = text(service().answer("GetX", Err(service().unknown_action("GetX")))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains(
                "<Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation GetX for \
                           version 2011-06-15"
            ),
            "{body}"
        );
        let (status, body) = text(service().answer("GetX", Err(QueryError::internal("a < b")))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            body.contains("<Type>Receiver</Type>") && body.contains("a &lt; b"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn unsigned_requests_take_the_default_account_and_refuse_large_bodies() {
        let request = Request::post("/?Extra=1")
            .body(Body::from("Action=GetX"))
            .expect("request");
        let read = service().read(request).await.expect("read");
        assert_eq!(read.action(), "GetX");
        assert_eq!(read.caller.account_id, "123456789012");
        assert_eq!(read.params.get("Extra"), Some("1"));
        let request = Request::post("/")
            .body(Body::from(vec![b'a'; 2048]))
            .expect("request");
        assert_eq!(
            service().read(request).await.expect_err("too large").code,
            "ValidationError"
        );
    }
}
