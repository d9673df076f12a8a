//! AWS STS on lamina's endpoint (query protocol: `Action=...&Version=2011-06-15` in the form body or
//! the query string, XML answers, errors as `<ErrorResponse>`). Requests are verified with SigV4 for
//! service `sts` by the server's keys (or taken in the default account with authentication off).
//!
//! - **GetCallerIdentity**: the account and ARN of the key that signed (`arn:aws:iam::<account>:root`
//!   for a configured key; the assumed role for temporary credentials).
//! - **AssumeRole** / **GetSessionToken**: temporary credentials ([`lamina_auth::SessionCredential`])
//!   acting in the role's account (which must be the caller's: lamina has no cross-account trust), valid
//!   for `DurationSeconds` (AssumeRole 900-43,200 s, default 3,600; GetSessionToken 900-129,600 s,
//!   default 43,200) or until the server restarts. lamina does not evaluate IAM policies: the
//!   credentials can do what any key of their account can.
//! - **GetAccessKeyInfo**: the account of an access key the server knows.
//!
//! Other STS operations answer 400 `InvalidAction` naming the operation.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, SecondsFormat};
use lamina_auth::{Caller, CredentialSet, SessionPrincipal};
use lamina_query::{Element, Params, QueryError, Service};
use sha2::{Digest, Sha256};

const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The largest request body taken (an AssumeRole with a session policy is a few KB).
const BODY_MAX: usize = 256 * 1024;

/// How STS requests are authenticated.
#[derive(Debug, Clone)]
pub struct StsConfig {
    /// The server's keys (temporary credentials are issued into them); `None`: every request is taken
    /// in `default_account`.
    pub credentials: Option<CredentialSet>,
    /// The account of unauthenticated requests.
    pub default_account: String,
}

struct Sts {
    service: Service,
    credentials: CredentialSet,
}

/// The STS API as a router that answers every path.
pub fn router(config: StsConfig) -> Router {
    let sts = Sts {
        service: Service::new(
            "sts",
            (NAMESPACE, "2011-06-15"),
            config.credentials.clone(),
            config.default_account,
            BODY_MAX,
        ),
        credentials: config.credentials.unwrap_or_default(),
    };
    Router::new().fallback(handle).with_state(Arc::new(sts))
}

async fn handle(State(sts): State<Arc<Sts>>, request: Request) -> Response {
    let request = match sts.service.read(request).await {
        Ok(request) => request,
        Err(e) => return sts.service.answer("", Err(e)),
    };
    let (caller, params) = (&request.caller, &request.params);
    let result = match request.action() {
        "GetCallerIdentity" => Ok(get_caller_identity(&sts, caller)),
        "AssumeRole" => assume_role(&sts, caller, params),
        "GetSessionToken" => get_session_token(&sts, caller, params),
        "GetAccessKeyInfo" => get_access_key_info(&sts, params),
        other => Err(sts.service.unknown_action(other)),
    };
    sts.service.answer(request.action(), result)
}

/// Who the caller is: `(user id, ARN)`.
fn identity(sts: &Sts, caller: &Caller) -> (String, String) {
    match sts.credentials.session(&caller.access_key_id) {
        Some(session) => (session.user_id, session.principal_arn),
        None => (
            caller.account_id.clone(),
            format!("arn:aws:iam::{}:root", caller.account_id),
        ),
    }
}

fn get_caller_identity(sts: &Sts, caller: &Caller) -> String {
    let (user_id, arn) = identity(sts, caller);
    Element::new()
        .text("UserId", &user_id)
        .text("Account", &caller.account_id)
        .text("Arn", &arn)
        .finish()
}

/// `DurationSeconds` within `min..=max`, or `default`.
fn duration(params: &Params, min: i64, max: i64, default: i64) -> Result<Duration, QueryError> {
    let Some(given) = params.get("DurationSeconds") else {
        return Ok(Duration::seconds(default));
    };
    let seconds: i64 = given.parse().map_err(|_| {
        QueryError::validation(format!(
            "Value '{given}' for parameter DurationSeconds is invalid."
        ))
    })?;
    let constraint = if seconds < min {
        format!("Member must have value greater than or equal to {min}")
    } else if seconds > max {
        format!("Member must have value less than or equal to {max}")
    } else {
        return Ok(Duration::seconds(seconds));
    };
    Err(QueryError::validation(format!(
        "1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: {constraint}"
    )))
}

fn credentials_xml(session: &lamina_auth::SessionCredential) -> String {
    Element::new()
        .text("AccessKeyId", &session.credential.access_key_id)
        .text("SecretAccessKey", &session.credential.secret_access_key)
        .text("SessionToken", &session.session_token)
        .text(
            "Expiration",
            &session.expires.to_rfc3339_opts(SecondsFormat::Secs, true),
        )
        .finish()
}

fn issue(
    sts: &Sts,
    principal: SessionPrincipal,
    lifetime: Duration,
) -> Result<lamina_auth::SessionCredential, QueryError> {
    sts.credentials
        .issue_session(principal, lifetime)
        .map_err(|e| QueryError::internal(format!("cannot make credentials: {e}")))
}

fn assume_role(sts: &Sts, caller: &Caller, params: &Params) -> Result<String, QueryError> {
    let role_arn = params.get("RoleArn").unwrap_or_default();
    let session_name = params.get("RoleSessionName").unwrap_or_default();
    let mut problems = Vec::new();
    if role_arn.is_empty() {
        problems
            .push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null".to_owned());
    }
    if session_name.is_empty() {
        problems.push(
            "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
                .to_owned(),
        );
    } else if !(2..=64).contains(&session_name.len())
        || !session_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        problems.push(format!(
            "Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular \
             expression pattern: [\\w+=,.@-]*"
        ));
    }
    if !problems.is_empty() {
        let count = problems.len();
        let noun = if count == 1 { "error" } else { "errors" };
        return Err(QueryError::validation(format!(
            "{count} validation {noun} detected: {}",
            problems.join("; ")
        )));
    }
    let lifetime = duration(params, 900, 43_200, 3_600)?;
    let (account, role_name) = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .filter(|(account, name)| {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        })
        .ok_or_else(|| QueryError::validation(format!("{role_arn} is invalid")))?;
    if account != caller.account_id {
        let (_, caller_arn) = identity(sts, caller);
        return Err(QueryError {
            status: StatusCode::FORBIDDEN,
            code: "AccessDenied",
            message: format!(
                "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            ),
        });
    }
    // The role's last path segment is its name.
    let role_name = role_name.rsplit('/').next().unwrap_or(role_name);
    let role_id = format!("AROA{}", role_id(role_arn));
    let principal = SessionPrincipal {
        account_id: account.to_owned(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
        user_id: format!("{role_id}:{session_name}"),
    };
    let session = issue(sts, principal, lifetime)?;
    Ok(format!(
        "<Credentials>{}</Credentials><AssumedRoleUser>{}</AssumedRoleUser>",
        credentials_xml(&session),
        Element::new()
            .text("AssumedRoleId", &session.user_id)
            .text("Arn", &session.principal_arn)
            .finish()
    ))
}

/// A stable 16-character id for a role ARN (lamina has no IAM to keep one).
fn role_id(role_arn: &str) -> String {
    let digest = Sha256::digest(role_arn.as_bytes());
    hex::encode_upper(&digest[..8])
}

fn get_session_token(sts: &Sts, caller: &Caller, params: &Params) -> Result<String, QueryError> {
    let lifetime = duration(params, 900, 129_600, 43_200)?;
    let (user_id, arn) = identity(sts, caller);
    let principal = SessionPrincipal {
        account_id: caller.account_id.clone(),
        arn,
        user_id,
    };
    let session = issue(sts, principal, lifetime)?;
    Ok(format!(
        "<Credentials>{}</Credentials>",
        credentials_xml(&session)
    ))
}

fn get_access_key_info(sts: &Sts, params: &Params) -> Result<String, QueryError> {
    let id = params.get("AccessKeyId").unwrap_or_default();
    let account = sts
        .credentials
        .get(id)
        .map(|c| c.account_id.clone())
        .or_else(|| sts.credentials.session(id).map(|s| s.credential.account_id))
        .ok_or_else(|| {
            QueryError::sender(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        })?;
    Ok(Element::new().text("Account", &account).finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn unauthenticated() -> Router {
        router(StsConfig {
            credentials: None,
            default_account: "123456789012".into(),
        })
    }

    async fn call(router: Router, body: &str) -> (StatusCode, String) {
        let request = Request::post("/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request");
        let response = router.oneshot(request).await.expect("answer");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, String::from_utf8(body.to_vec()).expect("utf-8"))
    }

    #[tokio::test]
    async fn get_caller_identity_names_the_account() {
        let (status, body) = call(unauthenticated(), "Action=GetCallerIdentity&Version=2011-06-15").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.starts_with(&format!(
                "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\"><GetCallerIdentityResult>"
            )),
            "{body}"
        );
        assert!(body.contains("<Account>123456789012</Account>"), "{body}");
        assert!(
            body.contains("<Arn>arn:aws:iam::123456789012:root</Arn>"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn assume_role_checks_its_members_and_the_account() {
        let (status, body) = call(
            unauthenticated(),
            "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A999999999999%3Arole%2Fr&RoleSessionName=s1",
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        let (status, body) = call(unauthenticated(), "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=10").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"), "{body}");
        let (status, body) = call(unauthenticated(), "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpath%2Fr&RoleSessionName=s1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.contains("<Arn>arn:aws:sts::123456789012:assumed-role/r/s1</Arn>"),
            "{body}"
        );
        assert!(body.contains("<AccessKeyId>ASIA"), "{body}");
    }

    #[tokio::test]
    async fn unknown_actions_are_named() {
        let (status, body) = call(unauthenticated(), "Action=AssumeRoleWithSAML").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("<Code>InvalidAction</Code>") && body.contains("AssumeRoleWithSAML"),
            "{body}"
        );
    }
}
