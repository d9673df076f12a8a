//! CreateFunctionUrlConfig.

use lamina_store::SubResourceKind;

use super::{UrlConfigView, UrlRecord, function_missing, now};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::wire::UrlConfigInput;
use crate::{Engine, EngineError};

impl Engine {
    /// CreateFunctionUrlConfig.
    pub async fn create_function_url_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: UrlConfigInput,
    ) -> Result<UrlConfigView, EngineError> {
        let target = self
            .url_target(scope, "CreateFunctionUrlConfig", raw_name, qualifier, &input)
            .await?;
        let created = now();
        let record = UrlRecord {
            url_id: uuid::Uuid::new_v4().simple().to_string(),
            auth_type: input.auth_type.clone().unwrap_or_default(),
            cors: input.cors.clone(),
            invoke_mode: input.invoke_mode.clone(),
            creation_time: created.clone(),
            last_modified_time: created,
        };
        let arn = target.arn.clone();
        let (record, _) = self
            .change_sub_resource(
                scope,
                target.key(scope, SubResourceKind::UrlConfig),
                function_missing(),
                move |current: Option<Stored<UrlRecord>>| match current {
                    Some(_) => Err(EngineError::Conflict(format!(
                        "Failed to create function url config for [functionArn = {arn}]. Error message:  \
                         FunctionUrlConfig exists for this Lambda function"
                    ))),
                    None => Ok(Change::Write {
                        doc: record.clone(),
                        versions: Vec::new(),
                        out: record.clone(),
                    }),
                },
            )
            .await?;
        tracing::info!(function = %target.name, url_id = %record.url_id, "created function URL");
        // CreateFunctionUrlConfig answers without LastModifiedTime, and with InvokeMode only when given.
        let mut view = record.view(target.arn);
        view.config.last_modified_time = None;
        view.config.invoke_mode = input.invoke_mode;
        Ok(view)
    }
}
