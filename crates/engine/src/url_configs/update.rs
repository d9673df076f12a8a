//! UpdateFunctionUrlConfig: the members given change.

use lamina_store::SubResourceKind;

use super::{UrlConfigView, UrlRecord, config_missing, function_missing, now};
use crate::names::Scope;
use crate::sub_resources::{Change, Stored};
use crate::wire::UrlConfigInput;
use crate::{Engine, EngineError};

impl Engine {
    /// UpdateFunctionUrlConfig.
    pub async fn update_function_url_config(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: UrlConfigInput,
    ) -> Result<UrlConfigView, EngineError> {
        let target = self
            .url_target(scope, "UpdateFunctionUrlConfig", raw_name, qualifier, &input)
            .await?;
        let (record, _) = self
            .change_sub_resource(
                scope,
                target.key(scope, SubResourceKind::UrlConfig),
                function_missing(),
                move |current: Option<Stored<UrlRecord>>| {
                    let Some(current) = current else {
                        return Err(config_missing());
                    };
                    let mut next = current.doc;
                    if let Some(auth_type) = &input.auth_type {
                        next.auth_type = auth_type.clone();
                    }
                    if let Some(cors) = &input.cors {
                        next.cors = Some(cors.clone());
                    }
                    if let Some(mode) = &input.invoke_mode {
                        next.invoke_mode = Some(mode.clone());
                    }
                    next.last_modified_time = now();
                    Ok(Change::Write {
                        doc: next.clone(),
                        versions: Vec::new(),
                        out: next,
                    })
                },
            )
            .await?;
        Ok(record.view(target.arn))
    }
}
