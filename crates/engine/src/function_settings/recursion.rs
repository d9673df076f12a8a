//! GetFunctionRecursionConfig and PutFunctionRecursionConfig: whether Lambda stops recursive loops
//! (`Terminate`, the default) or lets them run (`Allow`). Stored and returned.

use lamina_store::SubResourceKind;

use crate::names::{self, NameKind, Scope};
use crate::not_found::function_not_found;
use crate::sub_resources::{Change, Stored, function_key};
use crate::validation::Checks;
use crate::wire::RecursionConfig;
use crate::{Engine, EngineError};

/// AWS's pattern for the name of these operations: no qualifier.
const UNQUALIFIED_PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)";
const LOOPS: [&str; 2] = ["Allow", "Terminate"];

/// The function of an `UnqualifiedFunctionName`.
fn unqualified(scope: &Scope, raw_name: &str) -> Result<String, EngineError> {
    let f = names::parse_function_name(raw_name, NameKind::Plain, scope)?;
    if f.qualifier.is_some() {
        let mut checks = Checks::default();
        checks.string(
            raw_name,
            "functionName",
            format!("Member must satisfy regular expression pattern: {UNQUALIFIED_PATTERN}"),
        );
        checks.finish()?;
    }
    Ok(f.name)
}

impl Engine {
    /// GetFunctionRecursionConfig.
    pub async fn get_function_recursion_config(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<RecursionConfig, EngineError> {
        let name = unqualified(scope, raw_name)?;
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
        let name = unqualified(scope, raw_name)?;
        let mut checks = Checks::default();
        match &input.recursive_loop {
            None => checks.null("recursiveLoop"),
            Some(mode) if !LOOPS.contains(&mode.as_str()) => checks.string(
                mode,
                "recursiveLoop",
                format!("Member must satisfy enum value set: [{}]", LOOPS.join(", ")),
            ),
            Some(_) => {}
        }
        checks.finish()?;
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
