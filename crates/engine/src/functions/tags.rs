//! TagResource, UntagResource and ListTags on a function (tags live on its record; changing them
//! changes the function's RevisionId, as on Lambda).

use std::collections::BTreeMap;

use crate::names::{self, Scope};
use crate::not_found::function_not_found;
use crate::validation::Checks;
use crate::wire::{TagResourceInput, TagsOutput};
use crate::{Engine, EngineError};

use super::create::MAX_TAGS;

impl Engine {
    fn tag_target(scope: &Scope, resource: &str) -> Result<String, EngineError> {
        let r = names::parse_resource_arn(resource, scope)?;
        if r.qualifier.is_some() {
            return Err(EngineError::InvalidParameter(
                "Tags on function aliases and versions are not supported. Please specify a function ARN."
                    .into(),
            ));
        }
        Ok(r.name)
    }

    /// TagResource.
    pub async fn tag_resource(
        &self,
        scope: &Scope,
        resource: &str,
        input: TagResourceInput,
    ) -> Result<(), EngineError> {
        let name = Self::tag_target(scope, resource)?;
        let tags = input.tags.unwrap_or_default();
        let mut checks = Checks::default();
        crate::config_rules::tags(&tags, &mut checks);
        checks.finish()?;
        if tags.is_empty() {
            return Err(EngineError::InvalidParameter(
                "An error occurred and the request cannot be processed.".into(),
            ));
        }
        self.mutate(
            scope,
            &name,
            function_not_found(scope, &name, None),
            move |record| {
                let mut merged = record.tags.clone();
                merged.extend(tags.clone());
                if merged.len() > MAX_TAGS {
                    return Err(EngineError::InvalidParameter(
                        "Number of tags exceeds resource tag limit.".into(),
                    ));
                }
                record.tags = merged;
                record.revise();
                Ok(((), None))
            },
        )
        .await
    }

    /// UntagResource.
    pub async fn untag_resource(
        &self,
        scope: &Scope,
        resource: &str,
        keys: Vec<String>,
    ) -> Result<(), EngineError> {
        let name = Self::tag_target(scope, resource)?;
        if keys.is_empty() {
            let mut checks = Checks::default();
            checks.null("tagKeys");
            checks.finish()?;
        }
        self.mutate(
            scope,
            &name,
            function_not_found(scope, &name, None),
            move |record| {
                for k in &keys {
                    record.tags.remove(k);
                }
                record.revise();
                Ok(((), None))
            },
        )
        .await
    }

    /// ListTags.
    pub async fn list_tags(&self, scope: &Scope, resource: &str) -> Result<TagsOutput, EngineError> {
        let name = Self::tag_target(scope, resource)?;
        let Some((_, record)) = self.load(scope, &name).await? else {
            return Err(function_not_found(scope, &name, None));
        };
        Ok(TagsOutput {
            tags: record.tags.into_iter().collect::<BTreeMap<_, _>>(),
        })
    }
}
