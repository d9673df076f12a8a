//! Resource-based policies, one file per operation: `add` (AddPermission), `remove` (RemovePermission),
//! `get` (GetPolicy). A policy is a sub-resource of its function qualifier (the unqualified function, a
//! version or an alias), or of a layer version (`layers/permissions`); its RevisionId is the row's
//! revision. Statements are rendered once, when added, as AWS renders them, and kept as JSON.
//!
//! Policies are stored and returned; lamina does not enforce them (every request is its account's own,
//! see `docs/auth.md`).

mod add;
mod get;
mod remove;

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::EngineError;
use crate::sub_resources::{Change, Stored};

/// AWS's 412 for a stale `RevisionId` of a function's policy.
pub(crate) const STALE_POLICY: &str = "The Revision Id provided does not match the latest Revision Id. Call the \
                                       GetPolicy API to retrieve the latest Revision Id";

static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{12}$").expect("static pattern"));
static IAM_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:\S+$").expect("static pattern"));
static SERVICE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$").expect("static pattern"));

/// The `Principal` of a statement, as AWS renders each kind of principal it takes.
pub(crate) fn principal(given: &str) -> Result<Value, EngineError> {
    if given == "*" {
        Ok(Value::from("*"))
    } else if ACCOUNT.is_match(given) {
        Ok(json!({"AWS": format!("arn:aws:iam::{given}:root")}))
    } else if IAM_ARN.is_match(given) {
        Ok(json!({"AWS": given}))
    } else if SERVICE.is_match(given) {
        Ok(json!({"Service": given}))
    } else {
        Err(EngineError::InvalidParameter(
            "The provided principal was invalid. Please check the principal and try again.".into(),
        ))
    }
}

/// What the engine stores for a policy: its statements, in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PolicyRecord {
    /// Each statement as AWS renders it (`Sid`, `Effect`, `Principal`, `Action`, `Resource`,
    /// `Condition`).
    pub(crate) statements: Vec<Value>,
}

impl PolicyRecord {
    /// The statement with `sid`, if any.
    pub(crate) fn position(&self, sid: &str) -> Option<usize> {
        self.statements
            .iter()
            .position(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
    }

    /// The change that adds `statement` (whose `Sid` is `sid`) to the stored policy, or to a new one:
    /// refused when `revision` is given and is not the policy's (`stale` says so), or when the policy
    /// has the `Sid` already.
    pub(crate) fn adding(
        current: Option<Stored<PolicyRecord>>,
        sid: &str,
        statement: &Value,
        revision: Option<&str>,
        stale: &str,
    ) -> Result<Change<PolicyRecord, ()>, EngineError> {
        if let Some(given) = revision
            && current.as_ref().is_none_or(|c| c.revision != given)
        {
            return Err(EngineError::PreconditionFailed(stale.into()));
        }
        let mut policy = current.map(|c| c.doc).unwrap_or_default();
        if policy.position(sid).is_some() {
            return Err(duplicate_statement(sid));
        }
        policy.statements.push(statement.clone());
        Ok(Change::Write {
            doc: policy,
            versions: Vec::new(),
            out: (),
        })
    }

    /// The change that removes the statement `sid` from the stored policy (the policy goes with its
    /// last statement), refused as [`PolicyRecord::adding`] is for a stale `revision`.
    pub(crate) fn removing(
        current: Option<Stored<PolicyRecord>>,
        sid: &str,
        revision: Option<&str>,
        stale: &str,
    ) -> Result<Change<PolicyRecord, ()>, EngineError> {
        let Some(current) = current else {
            return Err(no_policy());
        };
        let Some(at) = current.doc.position(sid) else {
            return Err(no_statement(sid));
        };
        if revision.is_some_and(|given| given != current.revision) {
            return Err(EngineError::PreconditionFailed(stale.into()));
        }
        let mut policy = current.doc;
        policy.statements.remove(at);
        Ok(if policy.statements.is_empty() {
            Change::Delete(())
        } else {
            Change::Write {
                doc: policy,
                versions: Vec::new(),
                out: (),
            }
        })
    }

    /// The policy document, as GetPolicy's `Policy` carries it.
    pub(crate) fn document(&self) -> String {
        serde_json::json!({
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": self.statements,
        })
        .to_string()
    }
}

/// AWS's 409 for a `Sid` the policy has already.
fn duplicate_statement(sid: &str) -> EngineError {
    EngineError::Conflict(format!(
        "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the \
         existing statement."
    ))
}

/// AWS's 404 for a `Sid` the policy does not have.
fn no_statement(sid: &str) -> EngineError {
    EngineError::NotFound(format!("Statement {sid} is not found in resource policy."))
}

/// AWS's 404 for a resource without a policy (RemovePermission, GetLayerVersionPolicy).
pub(crate) fn no_policy() -> EngineError {
    EngineError::NotFound("No policy is associated with the given resource.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_document_is_awss() {
        let policy = PolicyRecord {
            statements: vec![serde_json::json!({"Sid": "a", "Effect": "Allow"})],
        };
        assert_eq!(
            policy.document(),
            r#"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"a","Effect":"Allow"}]}"#
        );
        assert_eq!(policy.position("a"), Some(0));
        assert_eq!(policy.position("b"), None);
    }

    #[test]
    fn principals_are_rendered_by_kind() {
        assert_eq!(principal("*").expect("any"), json!("*"));
        assert_eq!(
            principal("123456789012").expect("account"),
            json!({"AWS": "arn:aws:iam::123456789012:root"})
        );
        assert_eq!(
            principal("arn:aws:iam::123456789012:role/r").expect("role"),
            json!({"AWS": "arn:aws:iam::123456789012:role/r"})
        );
        assert_eq!(
            principal("s3.amazonaws.com").expect("service"),
            json!({"Service": "s3.amazonaws.com"})
        );
        assert!(principal("not a principal").is_err());
        assert!(principal("bob").is_err());
    }

    #[test]
    fn statement_ids_follow_the_models_patterns() {
        let add = crate::wire::AddPermissionInput {
            statement_id: Some("a.b".into()),
            action: Some("lambda:InvokeFunction".into()),
            principal: Some("s3.amazonaws.com".into()),
            ..Default::default()
        };
        let message = crate::validate::input("AddPermission", &add, &[("FunctionName", "f".into())])
            .expect_err("a dot")
            .to_string();
        assert_eq!(
            message,
            "1 validation error detected: Value 'a.b' at 'statementId' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"
        );
        let remove = [("FunctionName", "f".into()), ("StatementId", "a.b".into())];
        assert!(crate::validate::input("RemovePermission", &(), &remove).is_ok());
    }
}
