//! Making, changing and removing one resource with lamina's engine: a function (created, then waited for
//! until Active, as CloudFormation waits; updated by configuration, code and concurrency; replaced when
//! its name changes), a layer version (published; a change publishes another), or a resource that is
//! only recorded. Failures are CloudFormation's resource status reasons.

use std::time::{Duration, Instant};

use base64::Engine as _;
use lamina_engine::wire::{CodeInput, LastUpdateStatus, PutConcurrencyInput, State, ZipFile};
use lamina_engine::{Engine, EngineError, Scope, StagedCode};
use lamina_template::requests;
use lamina_template::resources::{CodeSource, FunctionSpec, LayerSpec};

use crate::desired::{Making, Wanted};
use crate::record::ResourceRecord;

/// How long a function may take to become Active (CloudFormation's handler waits as long).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How often its state is read meanwhile.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Why a resource could not be made, changed or removed: the status reason CloudFormation shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) String);

impl Refused {
    /// An engine error as CloudFormation's Lambda handler reports one.
    fn engine(e: &EngineError) -> Self {
        let (status, handler) = match e {
            EngineError::NotFound(_) => (404, "NotFound"),
            EngineError::Conflict(_) => (409, "AlreadyExists"),
            EngineError::Validation(_) | EngineError::InvalidParameter(_) | EngineError::TooLarge(_) => {
                (400, "InvalidRequest")
            }
            EngineError::Throttled(_) => (429, "Throttling"),
            other if other.is_internal() => (500, "InternalFailure"),
            _ => (400, "GeneralServiceException"),
        };
        Refused(format!(
            "Resource handler returned message: \"{e} (Service: Lambda, Status Code: {status})\" \
             (HandlerErrorCode: {handler})"
        ))
    }
}

/// Makes resources with the engine, in one account and region.
#[derive(Clone)]
pub(crate) struct Provisioner {
    pub(crate) engine: Engine,
}

impl Provisioner {
    /// Makes `wanted` (or changes `old`, what the stack has for it); returns its physical id.
    pub(crate) async fn make(
        &self,
        scope: &Scope,
        wanted: &Wanted,
        old: Option<&ResourceRecord>,
        default_role: &str,
    ) -> Result<String, Refused> {
        match &wanted.making {
            Making::Recorded { physical_id, .. } => Ok(physical_id.clone()),
            Making::Layer(spec) => self.publish_layer(scope, spec).await,
            Making::Function(spec) => match old.filter(|o| o.physical_id == spec.name) {
                Some(_) => self
                    .update_function(scope, spec)
                    .await
                    .map(|()| spec.name.clone()),
                None => self
                    .create_function(scope, spec, default_role)
                    .await
                    .map(|()| spec.name.clone()),
            },
        }
    }

    /// Removes what `record` made (nothing for a recorded resource; a function or layer version already
    /// gone is removed).
    pub(crate) async fn remove(&self, scope: &Scope, record: &ResourceRecord) -> Result<(), Refused> {
        if record.physical_id.is_empty() {
            return Ok(());
        }
        let result = match record.type_name.as_str() {
            "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
                self.engine
                    .delete_function(scope, &record.physical_id, None)
                    .await
            }
            "AWS::Lambda::LayerVersion" | "AWS::Serverless::LayerVersion" => {
                // The physical id is the version's ARN: `...:layer:<name>:<version>`.
                let Some((layer, version)) = record
                    .physical_id
                    .rsplit_once(':')
                    .and_then(|(arn, v)| Some((arn, v.parse::<i64>().ok()?)))
                else {
                    return Ok(());
                };
                self.engine.delete_layer_version(scope, layer, version).await
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) | Err(EngineError::NotFound(_)) => Ok(()),
            Err(e) => Err(Refused::engine(&e)),
        }
    }

    async fn publish_layer(&self, scope: &Scope, spec: &LayerSpec) -> Result<String, Refused> {
        let (code, staged) = self.code(&spec.content)?;
        let published = self
            .engine
            .publish_layer_version(scope, &spec.name, requests::publish_layer(spec, code), staged)
            .await
            .map_err(|e| Refused::engine(&e))?;
        Ok(published.value.layer.layer_version_arn)
    }

    async fn create_function(
        &self,
        scope: &Scope,
        spec: &FunctionSpec,
        default_role: &str,
    ) -> Result<(), Refused> {
        let (code, staged) = self.code(&spec.code)?;
        let input = requests::create_function(spec, code, default_role);
        self.engine
            .create_function(scope, input, staged)
            .await
            .map_err(|e| Refused::engine(&e))?;
        self.settled(scope, &spec.name).await?;
        if let Some(reserved) = spec.reserved_concurrency {
            self.reserve(scope, spec, Some(reserved)).await?;
        }
        Ok(())
    }

    async fn update_function(&self, scope: &Scope, spec: &FunctionSpec) -> Result<(), Refused> {
        // A function without `Role` in the template keeps the role it was made with.
        self.engine
            .update_function_configuration(scope, &spec.name, requests::update_configuration(spec))
            .await
            .map_err(|e| Refused::engine(&e))?;
        self.settled(scope, &spec.name).await?;
        let (code, staged) = self.code(&spec.code)?;
        self.engine
            .update_function_code(scope, &spec.name, requests::update_code(spec, code), staged)
            .await
            .map_err(|e| Refused::engine(&e))?;
        self.settled(scope, &spec.name).await?;
        self.reserve(scope, spec, spec.reserved_concurrency).await
    }

    async fn reserve(
        &self,
        scope: &Scope,
        spec: &FunctionSpec,
        reserved: Option<u64>,
    ) -> Result<(), Refused> {
        let result = match reserved {
            Some(n) => self
                .engine
                .put_function_concurrency(
                    scope,
                    &spec.name,
                    PutConcurrencyInput {
                        reserved_concurrent_executions: Some(i64::try_from(n).unwrap_or(i64::MAX)),
                    },
                )
                .await
                .map(drop),
            None => self.engine.delete_function_concurrency(scope, &spec.name).await,
        };
        result.map_err(|e| Refused::engine(&e))
    }

    /// Waits until function `name` is Active with no update in progress.
    async fn settled(&self, scope: &Scope, name: &str) -> Result<(), Refused> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let view = self
                .engine
                .get_function(scope, name, None)
                .await
                .map_err(|e| Refused::engine(&e))?;
            let c = &view.configuration;
            let reason = |r: &Option<String>| r.clone().unwrap_or_default();
            match (&c.state, &c.last_update_status) {
                (Some(State::Failed), _) => {
                    return Err(Refused(format!(
                        "Resource handler returned message: \"{name} failed: {}\" (HandlerErrorCode: \
                         NotStabilized)",
                        reason(&c.state_reason)
                    )));
                }
                (_, Some(LastUpdateStatus::Failed)) => {
                    return Err(Refused(format!(
                        "Resource handler returned message: \"the update of {name} failed: {}\" \
                         (HandlerErrorCode: NotStabilized)",
                        reason(&c.last_update_status_reason)
                    )));
                }
                (Some(State::Active), Some(LastUpdateStatus::Successful) | None) => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(Refused(format!(
                        "Resource handler returned message: \"{name} did not become Active within {} seconds\" \
                         (HandlerErrorCode: NotStabilized)",
                        SETTLE_TIMEOUT.as_secs()
                    )));
                }
                _ => tokio::time::sleep(POLL_INTERVAL).await,
            }
        }
    }

    /// The `Code` members for a code source, and the inline zip staged.
    fn code(&self, source: &CodeSource) -> Result<(CodeInput, Option<StagedCode>), Refused> {
        match source {
            CodeSource::S3 { bucket, key, version } => Ok((
                CodeInput {
                    s3_bucket: Some(bucket.clone()),
                    s3_key: Some(key.clone()),
                    s3_object_version: version.clone(),
                    ..CodeInput::default()
                },
                None,
            )),
            CodeSource::Inline { file_name, source } => {
                let mut builder = lamina_package::PackageBuilder::new();
                builder
                    .add_bytes(file_name, source.as_bytes().to_vec(), 0o644)
                    .map_err(|e| Refused(format!("the inline code cannot be zipped: {e}")))?;
                let bytes = builder
                    .write(std::io::Cursor::new(Vec::new()))
                    .map_err(|e| Refused(format!("the inline code cannot be zipped: {e}")))?
                    .into_inner();
                let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
                let staged = self
                    .engine
                    .stage_zip_base64(&b64)
                    .map_err(|e| Refused::engine(&e))?;
                Ok((
                    CodeInput {
                        zip_file: Some(ZipFile::new(b64)),
                        ..CodeInput::default()
                    },
                    Some(staged),
                ))
            }
            CodeSource::Folder { path, .. } | CodeSource::Zip(path) => Err(Refused(format!(
                "the code at {} is a local path: package the template first (aws cloudformation package, sam \
                 deploy)",
                path.display()
            ))),
        }
    }
}
