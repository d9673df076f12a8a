//! GetFunctionRecursionConfig and PutFunctionRecursionConfig: whether Lambda stops recursive loops
//! (`Terminate`, the default) or lets them run (`Allow`). Stored and returned.

use lamina_store::SubResourceKind;

use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::sub_resources::{Change, Stored, function_key};
use crate::wire::RecursionConfig;
use crate::{Engine, EngineError, validate};

/// The function an operation on its recursion setting names, once `operation`'s input (`body` with
/// the name) is checked against the model, whose `UnqualifiedFunctionName` takes no qualifier.
fn unqualified<B: serde::Serialize>(
    scope: &Scope,
    operation: &str,
    raw_name: &str,
    body: &B,
) -> Result<String, EngineError> {
    let f = validate::function_input(operation, raw_name, body, &[], scope)?;
    debug_assert!(f.qualifier.is_none(), "the model refuses a qualified name");
    Ok(f.name)
}

impl Engine {
    /// GetFunctionRecursionConfig.
    pub async fn get_function_recursion_config(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<RecursionConfig, EngineError> {
        let name = unqualified(scope, "GetFunctionRecursionConfig", raw_name, &())?;
        if self.load(scope, &name).await?.is_none() {
            return Err(function_not_found(scope, &name, None));
        }
        let stored = self
            .sub_resource::<RecursionConfig>(function_key(scope, &name, SubResourceKind::RecursionConfig, ""))
            .await?;
        Ok(stored.map(|s| s.doc).unwrap_or(RecursionConfig {
            recursive_loop: Some("Terminate".into()),
        }))
    }

    /// PutFunctionRecursionConfig.
    pub async fn put_function_recursion_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: RecursionConfig,
    ) -> Result<RecursionConfig, EngineError> {
        let name = unqualified(scope, "PutFunctionRecursionConfig", raw_name, &input)?;
        if self.load(scope, &name).await?.is_none() {
            return Err(function_not_found(scope, &name, None));
        }
        let (written, _) = self
            .change_sub_resource(
                scope,
                function_key(scope, &name, SubResourceKind::RecursionConfig, ""),
                function_not_found(scope, &name, None),
                move |_: Option<Stored<RecursionConfig>>| {
                    Ok(Change::Write {
                        doc: input.clone(),
                        versions: Vec::new(),
                        out: input.clone(),
                    })
                },
            )
            .await?;
        Ok(written)
    }
}
