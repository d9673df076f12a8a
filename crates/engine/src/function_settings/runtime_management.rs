//! GetRuntimeManagementConfig and PutRuntimeManagementConfig: when a function's runtime is updated
//! (`Auto`, the default; `FunctionUpdate`; `Manual` with a runtime version). Stored per qualifier and
//! returned; lamina runs the host's operating system, so no runtime version is applied.

use std::sync::LazyLock;

use lamina_store::SubResourceKind;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::names::{self, NameKind, Scope};
use crate::sub_resources::{Change, Qualified, Stored, Target, function_key};
use crate::validation::Checks;
use crate::wire::{RuntimeManagementConfig, RuntimeManagementInput};
use crate::{Engine, EngineError};

const MODES: [&str; 3] = ["Auto", "Manual", "FunctionUpdate"];
const RUNTIME_VERSION_PATTERN: &str =
    r"arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}::runtime:.+";
static RUNTIME_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}::runtime:.+$")
        .expect("static pattern")
});

/// What the engine stores for a qualifier's runtime update mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RuntimeManagementRecord {
    update_runtime_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    runtime_version_arn: Option<String>,
}

/// The function, what the qualifier names (`$LATEST` for none) and the ARN the answer names.
fn target(scope: &Scope, raw_name: &str, qualifier: Option<&str>) -> Result<Target, EngineError> {
    let f = names::parse_function_name(raw_name, NameKind::Namespaced, scope)?;
    let q = names::resolve_qualifier(f.qualifier, qualifier)?;
    let arn = match &q {
        Some(q) => format!("{}:{q}", scope.function_arn(&f.name)),
        None => scope.function_arn(&f.name),
    };
    let qualified = match Qualified::of(q.as_deref()) {
        Qualified::Function => Qualified::Latest,
        other => other,
    };
    Ok(Target {
        name: f.name,
        qualified,
        arn,
    })
}

impl Engine {
    /// GetRuntimeManagementConfig.
    pub async fn get_runtime_management_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<RuntimeManagementConfig, EngineError> {
        let Target { name, qualified, arn } = target(scope, raw_name, qualifier)?;
        self.check_qualifier_exists(scope, &name, &qualified).await?;
        let stored = self
            .sub_resource::<RuntimeManagementRecord>(function_key(
                scope,
                &name,
                SubResourceKind::RuntimeManagementConfig,
                &qualified.key(),
            ))
            .await?;
        Ok(match stored {
            Some(stored) => RuntimeManagementConfig {
                update_runtime_on: stored.doc.update_runtime_on,
                runtime_version_arn: stored.doc.runtime_version_arn,
                function_arn: arn,
            },
            None => RuntimeManagementConfig {
                update_runtime_on: "Auto".into(),
                runtime_version_arn: None,
                function_arn: arn,
            },
        })
    }

    /// PutRuntimeManagementConfig.
    pub async fn put_runtime_management_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: RuntimeManagementInput,
    ) -> Result<RuntimeManagementConfig, EngineError> {
        let Target { name, qualified, arn } = target(scope, raw_name, qualifier)?;
        let mut checks = Checks::default();
        match &input.update_runtime_on {
            None => checks.null("updateRuntimeOn"),
            Some(mode) if !MODES.contains(&mode.as_str()) => checks.string(
                mode,
                "updateRuntimeOn",
                format!("Member must satisfy enum value set: [{}]", MODES.join(", ")),
            ),
            Some(_) => {}
        }
        if let Some(version) = &input.runtime_version_arn {
            checks.length(version, "runtimeVersionArn", 26, 2048);
            checks.pattern(
                version,
                "runtimeVersionArn",
                &RUNTIME_VERSION,
                RUNTIME_VERSION_PATTERN,
            );
        }
        checks.finish()?;
        self.check_qualifier_exists(scope, &name, &qualified).await?;
        let record = RuntimeManagementRecord {
            update_runtime_on: input.update_runtime_on.unwrap_or_default(),
            runtime_version_arn: input.runtime_version_arn,
        };
        let (written, _) = self
            .change_sub_resource(
                scope,
                function_key(
                    scope,
                    &name,
                    SubResourceKind::RuntimeManagementConfig,
                    &qualified.key(),
                ),
                crate::not_found::function_not_found(scope, &name, None),
                move |_: Option<Stored<RuntimeManagementRecord>>| {
                    Ok(Change::Write {
                        doc: record.clone(),
                        versions: Vec::new(),
                        out: record.clone(),
                    })
                },
            )
            .await?;
        Ok(RuntimeManagementConfig {
            update_runtime_on: written.update_runtime_on,
            runtime_version_arn: written.runtime_version_arn,
            function_arn: arn,
        })
    }
}
