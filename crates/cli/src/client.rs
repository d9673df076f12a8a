//! Talking to a lamina server (or AWS) the way any AWS client does: SigV4-signed HTTP requests to a
//! service (the Lambda API, CloudWatch Logs) at an endpoint URL.

use std::time::SystemTime;

use anyhow::{Context, Result};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Where a service's API is and who signs the requests.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL, e.g. `http://127.0.0.1:9001`.
    pub url: String,
    /// The region requests are signed for.
    pub region: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// An HTTP answer: status, headers (lower-case names), body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The API error this answer carries (for a non-2xx status): the `x-amzn-ErrorType` code and the
    /// body's `message` (or `Message`), verbatim.
    pub fn api_error(&self) -> ApiError {
        let code = self
            .header(lamina_model::headers::ERROR_TYPE)
            .map(|t| t.split(':').next().unwrap_or(t).to_owned())
            .unwrap_or_else(|| "error".to_owned());
        let message = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .or_else(|| v.get("Message"))
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        ApiError {
            status: self.status,
            code,
            message,
        }
    }
}

/// An error answered by the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`ResourceNotFoundException`, ...).
    pub code: String,
    /// The message, as the server wrote it.
    pub message: String,
}

/// The access key id and secret of the development key a fresh `lamina serve` accepts.
const DEVELOPMENT_KEY: &str = "test";

/// The default endpoint of `lamina serve`.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:9001";

impl Endpoint {
    /// The Lambda API's endpoint and credentials from the usual AWS environment
    /// (`AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
    /// `AWS_ACCESS_KEY_ID`, ...), each overridden by the given values; a local server's defaults otherwise
    /// (the development key `test`/`test`, which `lamina serve` accepts when it is given no keys).
    pub fn from_env(url: Option<String>, region: Option<String>) -> Endpoint {
        Self::from_env_for("LAMBDA", url, region)
    }

    /// [`Endpoint::from_env`] for the service whose endpoint variable is `AWS_ENDPOINT_URL_<service_env>`
    /// (`LAMBDA`, `CLOUDWATCH_LOGS`, as the SDKs name them).
    pub fn from_env_for(service_env: &str, url: Option<String>, region: Option<String>) -> Endpoint {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Endpoint {
            url: url
                .or_else(|| var(&format!("AWS_ENDPOINT_URL_{service_env}")))
                .or_else(|| var("AWS_ENDPOINT_URL"))
                .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            region: region
                .or_else(|| var("AWS_REGION"))
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_owned()),
            access_key_id: var("AWS_ACCESS_KEY_ID").unwrap_or_else(|| DEVELOPMENT_KEY.to_owned()),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| DEVELOPMENT_KEY.to_owned()),
            session_token: var("AWS_SESSION_TOKEN"),
        }
    }

    /// Sends a request signed for the Lambda API; `path_and_query` is already percent-encoded. Returns
    /// the answer, whatever its status.
    pub fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer> {
        self.send_to("lambda", method, path_and_query, headers, body)
    }

    /// Sends a request signed for `service` (`lambda`, `logs`, ...).
    pub fn send_to(
        &self,
        service: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer> {
        let url = format!("{}{path_and_query}", self.url);
        let credentials = Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            None,
            "lamina",
        );
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .context("signing parameters")?
            .into();
        let signable = SignableRequest::new(method, &url, headers.iter().copied(), SignableBody::Bytes(body))
            .context("signing the request")?;
        let (instructions, _signature) = sign(signable, &params)
            .context("signing the request")?
            .into_parts();

        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let request = request.body(body.to_vec()).context("building the request")?;
        let mut response = agent
            .run(request)
            .with_context(|| format!("cannot reach {}", self.url))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// Percent-encodes one path segment (a function name or ARN).
pub fn path_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}
