//! PublishLayerVersion.

use crate::code::{PackageUse, StagedCode};
use crate::deploy::Deployed;
use crate::names::Scope;
use crate::record::now_timestamp;
use crate::validate;
use crate::wire::PublishLayerVersionInput;
use crate::{Engine, EngineError};

use super::record::LayerRecord;
use super::{LayerVersionView, parse_layer_name, view};

impl Engine {
    /// PublishLayerVersion.
    pub async fn publish_layer_version(
        &self,
        scope: &Scope,
        raw_name: &str,
        input: PublishLayerVersionInput,
        staged: Option<StagedCode>,
    ) -> Result<Deployed<LayerVersionView>, EngineError> {
        validate::input("PublishLayerVersion", &input, &[("LayerName", raw_name.into())])?;
        let name = parse_layer_name(raw_name, scope)?;
        let from_s3 = input.content.as_ref().and_then(|c| {
            crate::s3::S3Location::from_members(
                c.s3_bucket.as_deref(),
                c.s3_key.as_deref(),
                c.s3_object_version.as_deref(),
            )
        });
        let staged = match (staged, from_s3) {
            (Some(staged), _) => staged,
            (None, Some(location)) => self.stage_s3(scope, &location).await?,
            (None, None) => {
                return Err(EngineError::InvalidParameter(
                    "Please provide a source for layer content.".into(),
                ));
            }
        };
        // The package is checked for the architecture it must run on when that is one.
        let arch = match input.compatible_architectures.as_deref() {
            Some([one]) => Some(one.clone()),
            _ => None,
        };
        let subject = format!("PublishLayerVersion {name}");
        let (staged, lint) = self
            .check_package(&subject, staged, arch, PackageUse::Layer)
            .await?;
        let record = LayerRecord {
            description: input.description.clone(),
            created_date: now_timestamp(),
            compatible_runtimes: input.compatible_runtimes.clone(),
            compatible_architectures: input.compatible_architectures.clone(),
            license_info: input.license_info.clone(),
            code_size: staged.size(),
            unzipped_size: lint.unzipped_size,
            has_bootstrap: lint.has_bootstrap,
        };
        let document = serde_json::to_string(&record)?;
        let row = {
            let _guard = self.inner.code_lock.lock().await;
            let place = scope.clone();
            let name = name.clone();
            self.blocking(move |inner| {
                let sha = inner.code.commit(staged.blob)?.code_sha256().to_string();
                Ok(inner
                    .meta
                    .publish_layer_version(&place.account, &place.region, &name, &sha, &|_| {
                        document.clone()
                    })?)
            })
            .await?
        };
        tracing::info!(layer = %name, version = row.version, code_sha256 = %row.code_sha256, "published layer version");
        Ok(Deployed {
            value: view(scope, &row)?,
            warnings: lint.warnings,
        })
    }
}
