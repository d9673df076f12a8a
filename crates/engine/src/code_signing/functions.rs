//! Which code signing configuration a function uses: PutFunctionCodeSigningConfig,
//! GetFunctionCodeSigningConfig, DeleteFunctionCodeSigningConfig, and ListFunctionsByCodeSigningConfig.

use lamina_store::{Owner, SubResourceKind};
use serde::{Deserialize, Serialize};

use super::arn;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::paging::paginate;
use crate::sub_resources::{Change, Stored, function_key};
use crate::wire::{
    FunctionCodeSigningConfig, FunctionCodeSigningInput, ListFunctionsByCodeSigningConfigOutput,
};
use crate::{Engine, EngineError, validate};

/// What the engine stores for the configuration a function uses: its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Binding {
    code_signing_config_id: String,
}

impl Engine {
    /// PutFunctionCodeSigningConfig.
    pub async fn put_function_code_signing_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: FunctionCodeSigningInput,
    ) -> Result<FunctionCodeSigningConfig, EngineError> {
        let f = validate::function_input("PutFunctionCodeSigningConfig", raw_name, &input, &[], scope)?;
        let raw_arn = input.code_signing_config_arn.as_deref().unwrap_or_default();
        let id = self.code_signing_config_for_function(scope, raw_arn).await?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        self.bind_code_signing_config(scope, &f.name, &id).await?;
        Ok(FunctionCodeSigningConfig {
            code_signing_config_arn: Some(arn(scope, &id)),
            function_name: Some(f.name),
        })
    }

    /// The id of the configuration a function is to use (PutFunctionCodeSigningConfig's
    /// `CodeSigningConfigArn`, CreateFunction's, checked against the model by the operation): AWS's
    /// CodeSigningConfigNotFoundException when it does not exist.
    pub(crate) async fn code_signing_config_for_function(
        &self,
        scope: &Scope,
        raw_arn: &str,
    ) -> Result<String, EngineError> {
        let (id, _) = self.code_signing_config(scope, raw_arn).await.map_err(|e| match e {
            EngineError::NotFound(_) => EngineError::CodeSigningConfigNotFound(format!(
                "The code signing configuration cannot be found. Check that the provided configuration is not \
                 deleted: {raw_arn}."
            )),
            other => other,
        })?;
        Ok(id)
    }

    /// Makes function `name` use the configuration `id`.
    pub(crate) async fn bind_code_signing_config(
        &self,
        scope: &Scope,
        name: &str,
        id: &str,
    ) -> Result<(), EngineError> {
        let binding = Binding {
            code_signing_config_id: id.to_owned(),
        };
        self.change_sub_resource(
            scope,
            function_key(scope, name, SubResourceKind::CodeSigningBinding, ""),
            function_not_found(scope, name, None),
            move |_: Option<Stored<Binding>>| {
                Ok(Change::Write {
                    doc: binding.clone(),
                    versions: Vec::new(),
                    out: (),
                })
            },
        )
        .await?;
        Ok(())
    }

    /// GetFunctionCodeSigningConfig (`{}` when the function uses none).
    pub async fn get_function_code_signing_config(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<FunctionCodeSigningConfig, EngineError> {
        let f = validate::function_input("GetFunctionCodeSigningConfig", raw_name, &(), &[], scope)?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        let binding = self
            .sub_resource::<Binding>(function_key(
                scope,
                &f.name,
                SubResourceKind::CodeSigningBinding,
                "",
            ))
            .await?;
        Ok(match binding {
            Some(stored) => FunctionCodeSigningConfig {
                code_signing_config_arn: Some(arn(scope, &stored.doc.code_signing_config_id)),
                function_name: Some(f.name),
            },
            None => FunctionCodeSigningConfig::default(),
        })
    }

    /// DeleteFunctionCodeSigningConfig.
    pub async fn delete_function_code_signing_config(
        &self,
        scope: &Scope,
        raw_name: &str,
    ) -> Result<(), EngineError> {
        let f = validate::function_input("DeleteFunctionCodeSigningConfig", raw_name, &(), &[], scope)?;
        if self.load(scope, &f.name).await?.is_none() {
            return Err(function_not_found(scope, &f.name, None));
        }
        self.change_sub_resource(
            scope,
            function_key(scope, &f.name, SubResourceKind::CodeSigningBinding, ""),
            function_not_found(scope, &f.name, None),
            |current: Option<Stored<Binding>>| {
                Ok(match current {
                    Some(_) => Change::Delete(()),
                    None => Change::Keep(()),
                })
            },
        )
        .await?;
        Ok(())
    }

    /// ListFunctionsByCodeSigningConfig.
    pub async fn list_functions_by_code_signing_config(
        &self,
        scope: &Scope,
        raw_arn: &str,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<ListFunctionsByCodeSigningConfigOutput, EngineError> {
        let members = [
            ("CodeSigningConfigArn", raw_arn.into()),
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ];
        validate::input("ListFunctionsByCodeSigningConfig", &(), &members)?;
        let (id, _) = self.code_signing_config(scope, raw_arn).await?;
        let bindings = self
            .sub_resources::<Binding>(scope, None, SubResourceKind::CodeSigningBinding)
            .await?;
        let items = bindings
            .into_iter()
            .filter(|(_, stored)| stored.doc.code_signing_config_id == id)
            .filter_map(|(key, _)| match key.owner {
                Owner::Function(name) => {
                    let arn = scope.function_arn(&name);
                    Some((arn.clone(), arn))
                }
                Owner::Layer(_) | Owner::Account => None,
            })
            .collect();
        let limit = usize::try_from(max_items.unwrap_or(50)).unwrap_or(50);
        let (function_arns, next_marker) = paginate(items, marker, limit);
        Ok(ListFunctionsByCodeSigningConfigOutput {
            function_arns,
            next_marker,
        })
    }
}
