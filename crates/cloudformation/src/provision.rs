//! Making, changing and removing one resource with lamina's engine: a function (created, then waited for
//! until Active, as CloudFormation waits; updated by configuration, code and concurrency; replaced when
//! its name changes), a layer version (published; a change publishes another), or a resource that is
//! only recorded. Failures are CloudFormation's resource status reasons.

use std::time::{Duration, Instant};

use base64::Engine as _;
use std::sync::Arc;

use lamina_engine::wire::{
    AddPermissionInput, AliasRoutingConfiguration, CodeInput, CreateAliasInput, EventInvokeConfigInput,
    LastUpdateStatus, PublishVersionInput, PutConcurrencyInput, State, UpdateAliasInput, UrlConfigInput,
    ZipFile,
};
use lamina_engine::{Engine, EngineError, Scope, StagedCode, UrlAddresses};
use lamina_model::service_model::ServiceModel;
use lamina_template::requests;
use lamina_template::resources::{CodeSource, FunctionSpec, LayerSpec};
use serde_json::Value;

use crate::desired::{self, Making, SubKind, Wanted};
use crate::record::{Known, ResourceRecord};

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

/// What making a resource gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Made {
    /// Its physical id.
    pub(crate) physical_id: String,
    /// What its `Ref` and `Fn::GetAtt` stand for, when only the making tells.
    pub(crate) known: Option<Known>,
    /// The properties it was made with, when removing it needs them.
    pub(crate) properties: Option<Value>,
}

impl Made {
    fn named(physical_id: String) -> Made {
        Made {
            physical_id,
            known: None,
            properties: None,
        }
    }
}

/// lamina's S3, where stacks make their buckets (blocking: called off the async runtime).
pub trait Buckets: Send + Sync {
    /// Makes bucket `name` of `account` in `region` (a bucket the account has already is taken as it
    /// is), versioned if `versioned`.
    fn create(&self, account: &str, region: &str, name: &str, versioned: bool) -> Result<(), String>;
    /// Removes bucket `name` of `account` (refused, with S3's message, when it holds objects).
    fn delete(&self, account: &str, name: &str) -> Result<(), String>;
}

/// Makes resources with the engine, in one account and region.
#[derive(Clone)]
pub(crate) struct Provisioner {
    pub(crate) engine: Engine,
    /// Where function URLs live.
    pub(crate) urls: Arc<UrlAddresses>,
    /// lamina's S3, if it serves one.
    pub(crate) buckets: Option<Arc<dyn Buckets>>,
}

impl Provisioner {
    /// Makes `wanted` (or changes `old`, what the stack has for it); `stack` names generated ids.
    pub(crate) async fn make(
        &self,
        scope: &Scope,
        wanted: &Wanted,
        old: Option<&ResourceRecord>,
        (stack, default_role): (&str, &str),
    ) -> Result<Made, Refused> {
        match &wanted.making {
            Making::Recorded { physical_id, .. } => Ok(Made::named(physical_id.clone())),
            Making::Bucket { name, versioned } => {
                let Some(buckets) = self.buckets.clone() else {
                    return Ok(Made::named(name.clone()));
                };
                let (account, region, name, versioned) = (
                    scope.account.clone(),
                    scope.region.clone(),
                    name.clone(),
                    *versioned,
                );
                let made = tokio::task::spawn_blocking(move || {
                    buckets.create(&account, &region, &name, versioned).map(|()| name)
                })
                .await
                .map_err(|e| Refused(format!("making the bucket failed: {e}")))?;
                made.map(Made::named).map_err(|message| {
                    Refused(format!(
                        "Resource handler returned message: \"{message} (Service: S3, Status Code: 409)\" \
                         (HandlerErrorCode: AlreadyExists)"
                    ))
                })
            }
            Making::Layer(spec) => {
                let arn = self.publish_layer(scope, spec).await?;
                let known = Known {
                    reference: arn.clone(),
                    attributes: [("LayerVersionArn".to_owned(), arn.clone())].into(),
                };
                Ok(Made {
                    known: Some(known),
                    ..Made::named(arn)
                })
            }
            Making::Function(spec) => {
                match old.filter(|o| o.physical_id == spec.name) {
                    Some(_) => self.update_function(scope, spec).await?,
                    None => self.create_function(scope, spec, default_role).await?,
                }
                Ok(Made::named(spec.name.clone()))
            }
            Making::Sub { kind, properties } => {
                let sub = Sub {
                    engine: &self.engine,
                    scope,
                    properties: properties.clone(),
                };
                match kind {
                    SubKind::Version => sub.version().await,
                    SubKind::Alias => sub.alias(old).await,
                    SubKind::Permission => {
                        let sid = old.map_or_else(
                            // A statement id is at most 100 characters.
                            || desired::generated_name(stack, &wanted.logical_id, 100),
                            |o| o.physical_id.clone(),
                        );
                        if let Some(old) = old {
                            self.remove(scope, old).await?;
                        }
                        sub.permission(sid).await
                    }
                    SubKind::EventInvokeConfig => sub.event_invoke_config().await,
                    SubKind::Url => sub.url(old, &self.urls).await,
                }
                .map_err(|e| Refused::engine(&e))
            }
        }
    }

    /// Removes what `record` made (nothing for a recorded resource; what is already gone is removed).
    pub(crate) async fn remove(&self, scope: &Scope, record: &ResourceRecord) -> Result<(), Refused> {
        if record.physical_id.is_empty() {
            return Ok(());
        }
        let properties = record.properties.clone().unwrap_or(Value::Null);
        let text = |key: &str| properties.get(key).and_then(Value::as_str).map(str::to_owned);
        let function = text("FunctionName")
            .or_else(|| text("TargetFunctionArn"))
            .unwrap_or_default();
        let result = match record.type_name.as_str() {
            "AWS::Lambda::Function" | "AWS::Serverless::Function" | "AWS::Lambda::Version" => {
                // A version's physical id is its ARN, which names the version to delete.
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
            "AWS::Lambda::Alias" => {
                let name = text("Name").unwrap_or_default();
                self.engine.delete_alias(scope, &function, &name).await
            }
            "AWS::Lambda::Permission" => {
                self.engine
                    .remove_permission(scope, &function, &record.physical_id, None, None)
                    .await
            }
            "AWS::Lambda::EventInvokeConfig" => {
                let qualifier = text("Qualifier");
                self.engine
                    .delete_function_event_invoke_config(scope, &function, qualifier.as_deref())
                    .await
            }
            "AWS::S3::Bucket" => {
                let Some(buckets) = self.buckets.clone() else {
                    return Ok(());
                };
                let (account, name) = (scope.account.clone(), record.physical_id.clone());
                let removed = tokio::task::spawn_blocking(move || buckets.delete(&account, &name))
                    .await
                    .map_err(|e| Refused(format!("removing the bucket failed: {e}")))?;
                return removed.map_err(|message| {
                    Refused(format!(
                        "Resource handler returned message: \"{message} (Service: S3, Status Code: 409)\" \
                         (HandlerErrorCode: GeneralServiceException)"
                    ))
                });
            }
            "AWS::Lambda::Url" => {
                let qualifier = text("Qualifier");
                self.engine
                    .delete_function_url_config(scope, &function, qualifier.as_deref())
                    .await
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

/// One of a function's sub-resources, made from its evaluated properties.
struct Sub<'a> {
    engine: &'a Engine,
    scope: &'a Scope,
    properties: Value,
}

impl Sub<'_> {
    fn text(&self, key: &str) -> Option<String> {
        self.properties
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The properties as the input of `operation`, without `drop` (members that travel elsewhere), with
    /// the template's text scalars converted to the model's types.
    fn input<T: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        drop: &[&str],
    ) -> Result<T, EngineError> {
        let mut value = match &self.properties {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| !drop.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            _ => Value::Object(serde_json::Map::new()),
        };
        ServiceModel::get().coerce(operation, &mut value);
        serde_json::from_value(value)
            .map_err(|e| EngineError::InvalidParameter(format!("Properties validation failed: {e}")))
    }

    fn made(&self, physical_id: String, known: Known) -> Made {
        Made {
            physical_id,
            known: Some(known),
            properties: Some(self.properties.clone()),
        }
    }

    async fn version(&self) -> Result<Made, EngineError> {
        let function = self.text("FunctionName").unwrap_or_default();
        let input: PublishVersionInput = self.input(
            "PublishVersion",
            &["FunctionName", "ProvisionedConcurrencyConfig"],
        )?;
        let published = self.engine.publish_version(self.scope, &function, input).await?;
        let unqualified = published
            .function_arn
            .strip_suffix(&format!(":{}", published.version))
            .unwrap_or(&published.function_arn)
            .to_owned();
        let arn = format!("{unqualified}:{}", published.version);
        let known = Known {
            reference: arn.clone(),
            attributes: [
                ("Version".to_owned(), published.version.clone()),
                ("FunctionArn".to_owned(), unqualified),
            ]
            .into(),
        };
        Ok(self.made(arn, known))
    }

    async fn alias(&self, old: Option<&ResourceRecord>) -> Result<Made, EngineError> {
        let function = self.text("FunctionName").unwrap_or_default();
        // CloudFormation lists the weights (`[{FunctionVersion, FunctionWeight}]`); the API maps them.
        let weights = self
            .properties
            .get("RoutingConfig")
            .and_then(|r| r.get("AdditionalVersionWeights"))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        let version = i.get("FunctionVersion")?.as_str()?.to_owned();
                        let weight = match i.get("FunctionWeight")? {
                            Value::String(s) => s.parse().ok()?,
                            other => other.as_f64()?,
                        };
                        Some((version, weight))
                    })
                    .collect()
            });
        let routing = weights.map(|w| AliasRoutingConfiguration {
            additional_version_weights: Some(w),
        });
        let name = self.text("Name").unwrap_or_default();
        let same = old.and_then(|o| o.properties.as_ref()).is_some_and(|p| {
            p.get("Name").and_then(Value::as_str) == Some(name.as_str())
                && p.get("FunctionName").and_then(Value::as_str) == Some(function.as_str())
        });
        let configuration = if same {
            let input = UpdateAliasInput {
                function_version: self.text("FunctionVersion"),
                description: Some(self.text("Description").unwrap_or_default()),
                routing_config: Some(routing.unwrap_or_default()),
                revision_id: None,
            };
            self.engine
                .update_alias(self.scope, &function, &name, input)
                .await?
        } else {
            let input = CreateAliasInput {
                name: Some(name),
                function_version: self.text("FunctionVersion"),
                description: self.text("Description"),
                routing_config: routing,
            };
            self.engine.create_alias(self.scope, &function, input).await?
        };
        let arn = configuration.alias_arn.clone();
        let known = Known {
            reference: arn.clone(),
            attributes: [("AliasArn".to_owned(), arn.clone())].into(),
        };
        Ok(self.made(arn, known))
    }

    async fn permission(&self, sid: String) -> Result<Made, EngineError> {
        let function = self.text("FunctionName").unwrap_or_default();
        let mut input: AddPermissionInput = self.input("AddPermission", &["FunctionName"])?;
        input.statement_id = Some(sid.clone());
        self.engine
            .add_permission(self.scope, &function, None, input)
            .await?;
        let known = Known {
            reference: sid.clone(),
            attributes: Default::default(),
        };
        Ok(self.made(sid, known))
    }

    async fn event_invoke_config(&self) -> Result<Made, EngineError> {
        let function = self.text("FunctionName").unwrap_or_default();
        let qualifier = self.text("Qualifier");
        let input: EventInvokeConfigInput =
            self.input("PutFunctionEventInvokeConfig", &["FunctionName", "Qualifier"])?;
        let config = self
            .engine
            .put_function_event_invoke_config(self.scope, &function, qualifier.as_deref(), input)
            .await?;
        let id = config.function_arn.clone();
        let known = Known {
            reference: id.clone(),
            attributes: Default::default(),
        };
        Ok(self.made(id, known))
    }

    async fn url(&self, old: Option<&ResourceRecord>, urls: &UrlAddresses) -> Result<Made, EngineError> {
        let target = self.text("TargetFunctionArn").unwrap_or_default();
        let qualifier = self.text("Qualifier");
        let input: UrlConfigInput =
            self.input("CreateFunctionUrlConfig", &["TargetFunctionArn", "Qualifier"])?;
        let same = old.and_then(|o| o.properties.as_ref()).is_some_and(|p| {
            p.get("TargetFunctionArn").and_then(Value::as_str) == Some(target.as_str())
                && p.get("Qualifier").and_then(Value::as_str) == qualifier.as_deref()
        });
        let view = if same {
            self.engine
                .update_function_url_config(self.scope, &target, qualifier.as_deref(), input)
                .await?
        } else {
            self.engine
                .create_function_url_config(self.scope, &target, qualifier.as_deref(), input)
                .await?
        };
        let arn = view.config.function_arn.clone();
        let url = urls.url(&self.scope.region, &view.url_id);
        let known = Known {
            reference: arn.clone(),
            attributes: [
                ("FunctionArn".to_owned(), arn.clone()),
                ("FunctionUrl".to_owned(), url),
            ]
            .into(),
        };
        Ok(self.made(arn, known))
    }
}
