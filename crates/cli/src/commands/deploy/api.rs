//! The Lambda API operations `lamina deploy` calls, over the signed [`Endpoint`]: the API's typed
//! shapes in and out (`lamina_model::wire`, the ones the server uses), and the API's errors kept
//! verbatim with the operation that got them.

use anyhow::{Context, Result};
use lamina_model::errors::ErrorCode;
use lamina_model::headers;
use lamina_model::wire::{
    Concurrency, CreateFunctionInput, FunctionConfiguration, GetFunctionOutput, LayerVersionOutput,
    LayerVersionsListItem, ListFunctionsOutput, ListLayerVersionsOutput, PublishLayerVersionInput,
    PutConcurrencyInput, UpdateCodeInput, UpdateConfigurationInput,
};
use serde::de::DeserializeOwned;

use crate::client::{ApiError, Endpoint, path_segment};

/// An operation the API refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {error}")]
pub struct OperationError {
    /// The operation (`CreateFunction`, ...).
    pub operation: &'static str,
    /// What the API answered.
    pub error: ApiError,
}

/// A successful answer: its body, and the findings the server reported about the package it was given
/// (`X-Lamina-Warnings`, one header per finding).
pub(crate) struct Reply<T> {
    pub(crate) body: T,
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

    /// Sends one request and reads the answer's body as `T`; a non-2xx answer is an [`OperationError`].
    fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: &str,
        path: &str,
        body: Option<&dyn erased::Body>,
    ) -> Result<T> {
        self.send(operation, method, path, body).map(|reply| reply.body)
    }

    /// Sends one request and keeps the server's package findings with the answer.
    fn send<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: &str,
        path: &str,
        body: Option<&dyn erased::Body>,
    ) -> Result<Reply<T>> {
        let bytes = match body {
            Some(b) => b.to_json().context("encoding the request")?,
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
            .filter(|(name, _)| name == headers::LAMINA_WARNINGS)
            .map(|(_, value)| value.clone())
            .collect();
        // A 204 has no body: read it as JSON `null` (what `()` is).
        let json: &[u8] = if answer.body.is_empty() {
            b"null"
        } else {
            &answer.body
        };
        let body = serde_json::from_slice(json)
            .with_context(|| format!("{operation}: the answer is not what the Lambda API answers"))?;
        Ok(Reply { body, warnings })
    }

    /// GetFunction; `None` when the function does not exist.
    pub(crate) fn get_function(&self, name: &str) -> Result<Option<GetFunctionOutput>> {
        let path = format!("/2015-03-31/functions/{}", path_segment(name));
        match self.call("GetFunction", "GET", &path, None) {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_code(&e, ErrorCode::ResourceNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GetFunctionConfiguration.
    pub(crate) fn get_function_configuration(&self, name: &str) -> Result<FunctionConfiguration> {
        let path = format!("/2015-03-31/functions/{}/configuration", path_segment(name));
        self.call("GetFunctionConfiguration", "GET", &path, None)
    }

    /// CreateFunction.
    pub(crate) fn create_function(
        &self,
        input: &CreateFunctionInput,
    ) -> Result<Reply<FunctionConfiguration>> {
        self.send("CreateFunction", "POST", "/2015-03-31/functions", Some(input))
    }

    /// UpdateFunctionCode.
    pub(crate) fn update_function_code(
        &self,
        name: &str,
        input: &UpdateCodeInput,
    ) -> Result<Reply<FunctionConfiguration>> {
        let path = format!("/2015-03-31/functions/{}/code", path_segment(name));
        self.send("UpdateFunctionCode", "PUT", &path, Some(input))
    }

    /// UpdateFunctionConfiguration.
    pub(crate) fn update_function_configuration(
        &self,
        name: &str,
        input: &UpdateConfigurationInput,
    ) -> Result<FunctionConfiguration> {
        let path = format!("/2015-03-31/functions/{}/configuration", path_segment(name));
        self.call("UpdateFunctionConfiguration", "PUT", &path, Some(input))
    }

    /// PutFunctionConcurrency.
    pub(crate) fn put_function_concurrency(&self, name: &str, reserved: u64) -> Result<Concurrency> {
        let path = format!("/2017-10-31/functions/{}/concurrency", path_segment(name));
        let input = PutConcurrencyInput {
            reserved_concurrent_executions: Some(i64::try_from(reserved).unwrap_or(i64::MAX)),
        };
        self.call("PutFunctionConcurrency", "PUT", &path, Some(&input))
    }

    /// DeleteFunctionConcurrency.
    pub(crate) fn delete_function_concurrency(&self, name: &str) -> Result<()> {
        let path = format!("/2017-10-31/functions/{}/concurrency", path_segment(name));
        self.call("DeleteFunctionConcurrency", "DELETE", &path, None)
    }

    /// ListLayerVersions: the layer's versions, newest first (empty for an unknown layer).
    pub(crate) fn list_layer_versions(&self, name: &str) -> Result<Vec<LayerVersionsListItem>> {
        let path = format!("/2018-10-31/layers/{}/versions", path_segment(name));
        let answer: ListLayerVersionsOutput = self.call("ListLayerVersions", "GET", &path, None)?;
        Ok(answer.layer_versions)
    }

    /// GetLayerVersion.
    pub(crate) fn get_layer_version(&self, name: &str, version: u64) -> Result<LayerVersionOutput> {
        let path = format!("/2018-10-31/layers/{}/versions/{version}", path_segment(name));
        self.call("GetLayerVersion", "GET", &path, None)
    }

    /// PublishLayerVersion.
    pub(crate) fn publish_layer_version(
        &self,
        name: &str,
        input: &PublishLayerVersionInput,
    ) -> Result<Reply<LayerVersionOutput>> {
        let path = format!("/2018-10-31/layers/{}/versions", path_segment(name));
        self.send("PublishLayerVersion", "POST", &path, Some(input))
    }

    /// The account the endpoint serves, for `AWS::AccountId`: read from a function ARN (ListFunctions),
    /// else from the ARN in the not-found message of a function that does not exist.
    pub(crate) fn account_id(&self) -> Result<String> {
        let listed: ListFunctionsOutput =
            self.call("ListFunctions", "GET", "/2015-03-31/functions?MaxItems=1", None)?;
        if let Some(account) = listed
            .functions
            .first()
            .and_then(|f| account_of_arn(&f.function_arn))
        {
            return Ok(account);
        }
        let probed: Result<GetFunctionOutput> = self.call(
            "GetFunction",
            "GET",
            "/2015-03-31/functions/lamina-deploy-account-probe",
            None,
        );
        let account = match probed {
            Ok(v) => account_of_arn(&v.configuration.function_arn),
            Err(e) => e
                .downcast_ref::<OperationError>()
                .and_then(|e| e.error.message.split_whitespace().find_map(account_of_arn)),
        };
        Ok(account.unwrap_or_else(|| "000000000000".to_owned()))
    }
}

/// Request bodies as trait objects (a `dyn Serialize` is not possible: serde's trait is generic).
mod erased {
    /// Anything sent as a JSON body.
    pub(crate) trait Body {
        fn to_json(&self) -> serde_json::Result<Vec<u8>>;
    }

    impl<T: serde::Serialize> Body for T {
        fn to_json(&self) -> serde_json::Result<Vec<u8>> {
            serde_json::to_vec(self)
        }
    }
}

/// Whether `error` is an API error with this code.
fn is_code(error: &anyhow::Error, code: ErrorCode) -> bool {
    error
        .downcast_ref::<OperationError>()
        .is_some_and(|e| e.error.code == code.as_str())
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
