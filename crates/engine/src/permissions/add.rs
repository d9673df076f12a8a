//! AddPermission: a statement added to the policy of a function, version or alias.

use lamina_store::SubResourceKind;
use serde_json::{Map, Value, json};

use super::{PolicyRecord, STALE_POLICY, principal};
use crate::names::{self, Scope};
use crate::not_found::function_not_found;
use crate::sub_resources::{Qualified, Stored, function_key};
use crate::wire::{AddPermissionInput, AddPermissionOutput};
use crate::{Engine, EngineError, validate};

/// The statement AddPermission adds, with its members in AWS's order.
fn statement(input: &AddPermissionInput, resource: &str) -> Result<Value, EngineError> {
    let mut statement = Map::new();
    statement.insert("Sid".into(), json!(input.statement_id));
    statement.insert("Effect".into(), json!("Allow"));
    statement.insert(
        "Principal".into(),
        principal(input.principal.as_deref().unwrap_or_default())?,
    );
    statement.insert("Action".into(), json!(input.action));
    statement.insert("Resource".into(), json!(resource));
    let mut equals = Map::new();
    if let Some(auth_type) = &input.function_url_auth_type {
        equals.insert("lambda:FunctionUrlAuthType".into(), json!(auth_type));
    }
    if let Some(org) = &input.principal_org_id {
        equals.insert("aws:PrincipalOrgID".into(), json!(org));
    }
    if let Some(account) = &input.source_account {
        equals.insert("AWS:SourceAccount".into(), json!(account));
    }
    if let Some(token) = &input.event_source_token {
        equals.insert("lambda:EventSourceToken".into(), json!(token));
    }
    let mut condition = Map::new();
    if !equals.is_empty() {
        condition.insert("StringEquals".into(), Value::Object(equals));
    }
    if let Some(via_url) = input.invoked_via_function_url {
        condition.insert(
            "Bool".into(),
            json!({"lambda:InvokedViaFunctionUrl": via_url.to_string()}),
        );
    }
    if let Some(arn) = &input.source_arn {
        condition.insert("ArnLike".into(), json!({"AWS:SourceArn": arn}));
    }
    if !condition.is_empty() {
        statement.insert("Condition".into(), Value::Object(condition));
    }
    Ok(Value::Object(statement))
}

impl Engine {
    /// AddPermission.
    pub async fn add_permission(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: AddPermissionInput,
    ) -> Result<AddPermissionOutput, EngineError> {
        let members = [("Qualifier", validate::optional(qualifier))];
        let f = validate::function_input("AddPermission", raw_name, &input, &members, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        let qualified = Qualified::of(q.as_deref());
        if qualified == Qualified::Latest {
            return Err(EngineError::InvalidParameter(
                "We currently do not support adding policies for $LATEST.".into(),
            ));
        }
        self.check_qualifier_exists(scope, &f.name, &qualified).await?;
        let resource = match &q {
            Some(q) => format!("{}:{q}", scope.function_arn(&f.name)),
            None => scope.function_arn(&f.name),
        };
        let added = statement(&input, &resource)?;
        let rendered = added.to_string();
        let sid = input.statement_id.clone().unwrap_or_default();
        let revision = input.revision_id.clone();
        let ((), _) = self
            .change_sub_resource(
                scope,
                function_key(scope, &f.name, SubResourceKind::Policy, &qualified.key()),
                function_not_found(scope, &f.name, q.as_deref()),
                move |current: Option<Stored<PolicyRecord>>| {
                    PolicyRecord::adding(current, &sid, &added, revision.as_deref(), STALE_POLICY)
                },
            )
            .await?;
        Ok(AddPermissionOutput { statement: rendered })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_awss_members_in_awss_order() {
        let input = AddPermissionInput {
            statement_id: Some("s3".into()),
            action: Some("lambda:InvokeFunction".into()),
            principal: Some("s3.amazonaws.com".into()),
            source_arn: Some("arn:aws:s3:::bucket".into()),
            source_account: Some("123456789012".into()),
            ..Default::default()
        };
        assert_eq!(
            statement(&input, "arn:aws:lambda:us-east-1:000000000000:function:f")
                .expect("statement")
                .to_string(),
            r#"{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}"#
        );
    }
}
