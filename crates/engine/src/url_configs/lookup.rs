//! Finding a function URL by its id, for the requests that arrive at it.

use lamina_store::{Owner, SubResourceKind};

use super::UrlRecord;
use crate::names::Scope;
use crate::wire::Cors;
use crate::{Engine, EngineError};

/// What a request to a function URL needs: the function (or alias) it invokes, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionUrlTarget {
    /// The function's account and region.
    pub scope: Scope,
    /// The function's name.
    pub function_name: String,
    /// The alias the URL is of, or `None` for the function's own URL (which invokes `$LATEST`).
    pub alias: Option<String>,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    /// The CORS settings, if any.
    pub cors: Option<Cors>,
    /// `BUFFERED` or `RESPONSE_STREAM`.
    pub invoke_mode: String,
}

impl Engine {
    /// The function URL whose id is `url_id` (the first label of its host name), if there is one.
    pub async fn function_url(&self, url_id: &str) -> Result<Option<FunctionUrlTarget>, EngineError> {
        let url_id = url_id.to_owned();
        self.blocking(move |inner| {
            for row in inner.meta.all_sub_resources(SubResourceKind::UrlConfig)? {
                let record: UrlRecord = serde_json::from_str(&row.document)?;
                if record.url_id != url_id {
                    continue;
                }
                let Owner::Function(function_name) = row.key.owner else {
                    continue;
                };
                // Keyed by the alias name, `""` for the function's own URL (see the module docs).
                let alias = (!row.key.key.is_empty()).then_some(row.key.key);
                return Ok(Some(FunctionUrlTarget {
                    scope: Scope {
                        account: row.key.account,
                        region: row.key.region,
                    },
                    function_name,
                    alias,
                    auth_type: record.auth_type,
                    cors: record.cors,
                    invoke_mode: record.invoke_mode.unwrap_or_else(|| "BUFFERED".into()),
                }));
            }
            Ok(None)
        })
        .await
    }
}
