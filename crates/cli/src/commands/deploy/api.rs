//! The Lambda API operations `lamina deploy` calls, over the signed [`Endpoint`]: JSON in, JSON out,
//! and the API's errors kept verbatim with the operation that got them.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::client::{ApiError, Endpoint, path_segment};

/// The response header in which the server lists what it found wrong with a package it accepted.
const WARNINGS_HEADER: &str = "x-lamina-warnings";

/// An operation the API refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {error}")]
pub struct OperationError {
    /// The operation (`CreateFunction`, ...).
    pub operation: &'static str,
    /// What the API answered.
    pub error: ApiError,
}

/// A successful answer: its JSON body, and the findings the server reported about the package it was
/// given (`X-Lamina-Warnings`, one header per finding).
pub(crate) struct Reply {
    pub(crate) body: Value,
    pub(crate) warnings: Vec<String>,
}

/// The Lambda API at an endpoint.
pub(crate) struct Lambda<'a> {
    endpoint: &'a Endpoint,
}

impl<'a> Lambda<'a> {
    pub(crate) fn new(endpoint: &'a Endpoint) -> Self {
        Lambda { endpoint }
    }

    pub(crate) fn region(&self) -> &str {
        &self.endpoint.region
    }

    /// Sends one request; a non-2xx answer is an [`OperationError`].
    fn call(&self, operation: &'static str, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        self.send(operation, method, path, body).map(|reply| reply.body)
    }

    /// Sends one request and keeps the server's package findings with the answer.
    fn send(&self, operation: &'static str, method: &str, path: &str, body: Option<&Value>) -> Result<Reply> {
        let bytes = match body {
            Some(b) => serde_json::to_vec(b).context("encoding the request")?,
            None => Vec::new(),
        };
        let headers: &[(&str, &str)] = if body.is_some() {
            &[("content-type", "application/json")]
        } else {
            &[]
        };
        let answer = self.endpoint.send(method, path, headers, &bytes)?;
        if !answer.is_success() {
            return Err(OperationError {
                operation,
                error: answer.api_error(),
            }
            .into());
        }
        let warnings = answer
            .headers
            .iter()
            .filter(|(name, _)| name == WARNINGS_HEADER)
            .map(|(_, value)| value.clone())
            .collect();
        let body = if answer.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&answer.body)
                .with_context(|| format!("{operation}: the answer is not JSON"))?
        };
        Ok(Reply { body, warnings })
    }

    /// GetFunction; `None` when the function does not exist.
    pub(crate) fn get_function(&self, name: &str) -> Result<Option<Value>> {
        let path = format!("/2015-03-31/functions/{}", path_segment(name));
        match self.call("GetFunction", "GET", &path, None) {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_code(&e, "ResourceNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GetFunctionConfiguration.
    pub(crate) fn get_function_configuration(&self, name: &str) -> Result<Value> {
        let path = format!("/2015-03-31/functions/{}/configuration", path_segment(name));
        self.call("GetFunctionConfiguration", "GET", &path, None)
    }

    /// CreateFunction.
    pub(crate) fn create_function(&self, body: &Value) -> Result<Reply> {
        self.send("CreateFunction", "POST", "/2015-03-31/functions", Some(body))
    }

    /// UpdateFunctionCode.
    pub(crate) fn update_function_code(&self, name: &str, body: &Value) -> Result<Reply> {
        let path = format!("/2015-03-31/functions/{}/code", path_segment(name));
        self.send("UpdateFunctionCode", "PUT", &path, Some(body))
    }

    /// UpdateFunctionConfiguration.
    pub(crate) fn update_function_configuration(&self, name: &str, body: &Value) -> Result<Value> {
        let path = format!("/2015-03-31/functions/{}/configuration", path_segment(name));
        self.call("UpdateFunctionConfiguration", "PUT", &path, Some(body))
    }

    /// PutFunctionConcurrency.
    pub(crate) fn put_function_concurrency(&self, name: &str, reserved: u64) -> Result<Value> {
        let path = format!("/2017-10-31/functions/{}/concurrency", path_segment(name));
        let body = serde_json::json!({ "ReservedConcurrentExecutions": reserved });
        self.call("PutFunctionConcurrency", "PUT", &path, Some(&body))
    }

    /// DeleteFunctionConcurrency.
    pub(crate) fn delete_function_concurrency(&self, name: &str) -> Result<()> {
        let path = format!("/2017-10-31/functions/{}/concurrency", path_segment(name));
        self.call("DeleteFunctionConcurrency", "DELETE", &path, None)
            .map(|_| ())
    }

    /// ListLayerVersions: the layer's versions, newest first (empty for an unknown layer).
    pub(crate) fn list_layer_versions(&self, name: &str) -> Result<Vec<Value>> {
        let path = format!("/2018-10-31/layers/{}/versions", path_segment(name));
        let answer = self.call("ListLayerVersions", "GET", &path, None)?;
        Ok(answer
            .get("LayerVersions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// GetLayerVersion.
    pub(crate) fn get_layer_version(&self, name: &str, version: u64) -> Result<Value> {
        let path = format!("/2018-10-31/layers/{}/versions/{version}", path_segment(name));
        self.call("GetLayerVersion", "GET", &path, None)
    }

    /// PublishLayerVersion.
    pub(crate) fn publish_layer_version(&self, name: &str, body: &Value) -> Result<Reply> {
        let path = format!("/2018-10-31/layers/{}/versions", path_segment(name));
        self.send("PublishLayerVersion", "POST", &path, Some(body))
    }

    /// The account the endpoint serves, for `AWS::AccountId`: read from a function ARN (ListFunctions),
    /// else from the ARN in the not-found message of a function that does not exist.
    pub(crate) fn account_id(&self) -> Result<String> {
        let listed = self.call("ListFunctions", "GET", "/2015-03-31/functions?MaxItems=1", None)?;
        let from_list = listed
            .get("Functions")
            .and_then(Value::as_array)
            .and_then(|f| f.first())
            .and_then(|f| f.get("FunctionArn"))
            .and_then(Value::as_str)
            .and_then(account_of_arn);
        if let Some(account) = from_list {
            return Ok(account);
        }
        match self.call(
            "GetFunction",
            "GET",
            "/2015-03-31/functions/lamina-deploy-account-probe",
            None,
        ) {
            Ok(v) => Ok(v
                .pointer("/Configuration/FunctionArn")
                .and_then(Value::as_str)
                .and_then(account_of_arn)),
            Err(e) => Ok(e
                .downcast_ref::<OperationError>()
                .and_then(|e| e.error.message.split_whitespace().find_map(account_of_arn))),
        }
        .map(|account| account.unwrap_or_else(|| "000000000000".to_owned()))
    }
}

/// Whether `error` is an API error with this code.
pub(crate) fn is_code(error: &anyhow::Error, code: &str) -> bool {
    error
        .downcast_ref::<OperationError>()
        .is_some_and(|e| e.error.code == code)
}

/// The account of `arn:aws:lambda:region:account:...`.
fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.strip_prefix("arn:")?.split(':').nth(3)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accounts_from_arns() {
        assert_eq!(
            account_of_arn("arn:aws:lambda:us-east-1:000000000000:function:f").as_deref(),
            Some("000000000000")
        );
        assert_eq!(account_of_arn("arn:aws:lambda:us-east-1:12:function:f"), None);
        assert_eq!(account_of_arn("Function"), None);
    }
}
