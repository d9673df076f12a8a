//! TagResource, UntagResource and ListTags on a function (tags live on its record; changing them
//! changes the function's RevisionId, as on Lambda).

use std::collections::BTreeMap;

use crate::names::{self, Scope};
use crate::not_found::function_not_found;
use crate::validate;
use crate::wire::{TagResourceInput, TagsOutput};
use crate::{Engine, EngineError};

use super::create::MAX_TAGS;

impl Engine {
    /// The function a tag operation names, once `operation`'s input (`body` and the `Resource`) passed
    /// the model's checks.
    fn tag_target(
        scope: &Scope,
        operation: &str,
        resource: &str,
        body: &impl serde::Serialize,
        members: &[(&str, serde_json::Value)],
    ) -> Result<String, EngineError> {
        let mut all = vec![("Resource", resource.into())];
        all.extend_from_slice(members);
        validate::input(operation, body, &all)?;
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
        let name = Self::tag_target(scope, "TagResource", resource, &input, &[])?;
        let tags = input.tags.unwrap_or_default();
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
        // The query's `tagKeys`, absent when none is given.
        let given = if keys.is_empty() {
            serde_json::Value::Null
        } else {
            keys.clone().into()
        };
        let name = Self::tag_target(scope, "UntagResource", resource, &(), &[("TagKeys", given)])?;
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
        let name = Self::tag_target(scope, "ListTags", resource, &(), &[])?;
        let Some((_, record)) = self.load(scope, &name).await? else {
            return Err(function_not_found(scope, &name, None));
        };
        Ok(TagsOutput {
            tags: record.tags.into_iter().collect::<BTreeMap<_, _>>(),
        })
    }
}
