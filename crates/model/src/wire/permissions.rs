//! Resource-based policies: AddPermission, RemovePermission, GetPolicy, and the layer version ones
//! (AddLayerVersionPermission, RemoveLayerVersionPermission, GetLayerVersionPolicy).

use serde::{Deserialize, Serialize};

/// AddPermission's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionInput {
    /// The statement's `Sid`, unique in the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// `lambda:InvokeFunction`, `lambda:*`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// A service (`s3.amazonaws.com`), an account id, an IAM ARN or `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// `ArnLike` `AWS:SourceArn` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    /// `StringEquals` `AWS:SourceAccount` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_account: Option<String>,
    /// `StringEquals` `lambda:EventSourceToken` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_source_token: Option<String>,
    /// Only apply if the policy's RevisionId is still this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
    /// `StringEquals` `aws:PrincipalOrgID` condition.
    #[serde(rename = "PrincipalOrgID", skip_serializing_if = "Option::is_none")]
    pub principal_org_id: Option<String>,
    /// `StringEquals` `lambda:FunctionUrlAuthType` condition (`NONE` or `AWS_IAM`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_url_auth_type: Option<String>,
    /// `Bool` `lambda:InvokedViaFunctionUrl` condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_via_function_url: Option<bool>,
}

/// AddPermission's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionOutput {
    /// The statement added, as JSON text.
    pub statement: String,
}

/// GetPolicy's and GetLayerVersionPolicy's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyOutput {
    /// The policy document, as JSON text.
    pub policy: String,
    /// Changes with every change of the policy.
    pub revision_id: String,
}

/// AddLayerVersionPermission's body.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddLayerVersionPermissionInput {
    /// The statement's `Sid`, unique in the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// `lambda:GetLayerVersion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// An account id, `*` or an account's root ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// With `*`: only the accounts of this organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
}

/// AddLayerVersionPermission's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddLayerVersionPermissionOutput {
    /// The statement added, as JSON text.
    pub statement: String,
    /// The policy's new RevisionId.
    pub revision_id: String,
}
