//! What the invoke path needs from the control plane: a function version resolved to its settled
//! configuration and unpacked code, with AWS's errors for names that do not resolve.

use std::sync::Arc;

use lamina_execution::{ExecutionError, FunctionVersion, InvokeRequest, ResponseSink};

use crate::async_invocations::EventDocument;
use crate::code::unpack;
use crate::names::{self, NameKind, Scope};
use crate::not_found::function_not_found;
use crate::record::State;
use crate::resolved::Routed;
use crate::sub_resources::Qualified;
use crate::{Engine, EngineError};

/// How the caller wants the function run (`X-Amz-Invocation-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvocationType {
    /// Run now and answer with the result (200).
    #[default]
    RequestResponse,
    /// Queue it and answer at once (202).
    Event,
    /// Only check that the function can be invoked (204).
    DryRun,
}

/// One Invoke request.
#[derive(Debug, Clone, Default)]
pub struct InvokeInput {
    /// `X-Amz-Invocation-Type`.
    pub invocation_type: InvocationType,
    /// The event (already checked to be JSON; empty means `{}`).
    pub payload: bytes::Bytes,
    /// `X-Amz-Log-Type: Tail`.
    pub tail: bool,
    /// The base64-decoded `X-Amz-Client-Context` (synchronous invocations only).
    pub client_context: Option<String>,
    /// The request id to use (also the response's `x-amzn-RequestId`).
    pub request_id: String,
    /// Where the result goes as the function writes it, for a caller that takes it as a stream
    /// (InvokeWithResponseStream, `RESPONSE_STREAM` URLs); the output's payload is then empty unless the
    /// invocation failed (the error).
    pub stream: Option<ResponseSink>,
}

/// What Invoke answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeOutput {
    /// 200, 202 or 204.
    pub status: u16,
    /// The version that ran (`X-Amz-Executed-Version`), for synchronous invocations.
    pub executed_version: Option<String>,
    /// The result or error payload.
    pub payload: bytes::Bytes,
    /// `X-Amz-Function-Error: Unhandled`.
    pub function_error: bool,
    /// The last 4 KB of the invocation's log (`X-Amz-Log-Result`, base64 on the wire).
    pub log_tail: Option<Vec<u8>>,
}

impl Engine {
    /// Resolves `FunctionName` (+ `Qualifier`) for Invoke to the version this invocation runs (for an
    /// alias with weights, picked by them): 404 with the qualified ARN when absent (`...:$LATEST` by
    /// default, as AWS says for Invoke), 409 while the function is Pending. Answers from the cache of
    /// resolved versions while the function is unchanged.
    pub async fn resolve_invocation(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
    ) -> Result<Arc<FunctionVersion>, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Namespaced, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?.unwrap_or_else(|| "$LATEST".to_owned());
        Ok(self.routed(scope, &f.name, &q).await?.pick())
    }

    /// What `name` at `q` resolves to, from the cache or the store.
    pub(crate) async fn routed(
        &self,
        scope: &Scope,
        name: &str,
        q: &str,
    ) -> Result<Arc<Routed>, EngineError> {
        let cache = &self.inner.resolved;
        if let Some(routed) = cache.get(&scope.account, &scope.region, name, q) {
            return Ok(routed);
        }
        let generation = cache.generation();
        let routed = Arc::new(match Qualified::of(Some(q)) {
            Qualified::Alias(alias) => {
                let Some(stored) = self.alias(scope, name, &alias).await? else {
                    return Err(function_not_found(scope, name, Some(q)));
                };
                let (primary, additional) = stored.doc.routes();
                let primary = Arc::new(self.resolve_from_store(scope, name, &primary).await?);
                let additional = match additional {
                    Some((version, weight)) => Some((
                        Arc::new(self.resolve_from_store(scope, name, &version).await?),
                        weight,
                    )),
                    None => None,
                };
                Routed { primary, additional }
            }
            _ => Routed::only(self.resolve_from_store(scope, name, q).await?),
        });
        cache.insert(
            generation,
            &scope.account,
            &scope.region,
            name,
            q,
            Arc::clone(&routed),
        );
        Ok(routed)
    }

    /// Reads the function (and version) from the store, unpacking its code if a settle has not yet.
    pub(crate) async fn resolve_from_store(
        &self,
        scope: &Scope,
        name: &str,
        q: &str,
    ) -> Result<FunctionVersion, EngineError> {
        let latest = self.load(scope, name).await?.map(|(_, r)| r);
        let Some(latest) = latest else {
            return Err(function_not_found(scope, name, Some(q)));
        };
        let record = if q == "$LATEST" {
            latest.clone()
        } else {
            self.resolve_version(scope, name, q).await?
        };
        if record.state == State::Pending {
            return Err(EngineError::Conflict(
                "The operation cannot be performed at this time. The function is currently in the following state: \
                 Pending"
                    .into(),
            ));
        }
        let code_dir = self.inner.unpacked.dir(&record.code_sha256);
        if !code_dir.is_dir() {
            // An update in progress has not been unpacked by the background settle yet: do it now, so
            // the invocation runs the new code (on AWS it would still run the previous one).
            let sha = record.code_sha256;
            self.blocking(move |inner| unpack(inner, &sha).map_err(EngineError::from))
                .await?;
        }
        let opt_dir = self.opt_dir(&record.layers).await?;
        let environment = record
            .environment
            .iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect();
        let logging_member = |name: &str| {
            record
                .logging_config
                .as_ref()
                .and_then(|l| l.get(name))
                .and_then(|v| v.as_str())
        };
        let log_group =
            logging_member("LogGroup").map_or_else(|| format!("/aws/lambda/{}", record.name), str::to_owned);
        let logging = lamina_execution::Logging::from_config(
            logging_member("LogFormat"),
            logging_member("ApplicationLogLevel"),
            logging_member("SystemLogLevel"),
        );
        let architecture = record
            .architecture
            .parse()
            .map_err(|e| EngineError::Internal(format!("{e}")))?;
        Ok(FunctionVersion {
            function_name: record.name.clone(),
            version: record.version_label(),
            function_arn: scope.function_arn(&record.name),
            region: scope.region.clone(),
            code_dir,
            opt_dir,
            revision: record.revision_id.clone(),
            handler: record.handler.clone().unwrap_or_default(),
            memory_mb: record.memory_size,
            timeout_s: record.timeout,
            ephemeral_mb: record.ephemeral_storage,
            architecture,
            environment,
            log_group,
            logging,
            reserved_concurrency: latest.reserved_concurrency,
            runtime: record.runtime.clone(),
            package_warnings: record.package_warnings.clone(),
            role: record.role.clone(),
        })
    }

    /// Invoke: runs (or queues, or only checks) an invocation of `raw_name` at `qualifier`.
    ///
    /// Errors are only returned before the function starts (not found, Pending, throttled): once it
    /// has started, every failure is a 200 with the error payload, so that a client's retry never runs
    /// it twice.
    pub async fn invoke(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: InvokeInput,
    ) -> Result<InvokeOutput, EngineError> {
        let invocation_type = input.invocation_type;
        let resolved = self.resolve_invoke(scope, raw_name, qualifier, input).await?;
        match invocation_type {
            InvocationType::DryRun => Ok(InvokeOutput {
                status: 204,
                executed_version: None,
                payload: bytes::Bytes::new(),
                function_error: false,
                log_tail: None,
            }),
            InvocationType::Event => {
                // Durable before the 202: the worker (`async_invocations`) runs it, with the version
                // picked now.
                let document = EventDocument {
                    account: scope.account.clone(),
                    region: scope.region.clone(),
                    function: resolved.version.function_name.clone(),
                    version: resolved.version.version.clone(),
                    qualifier: resolved.qualifier.clone(),
                };
                let request = resolved.request;
                self.enqueue_event(request.request_id, request.payload.to_vec(), &document)
                    .await?;
                Ok(InvokeOutput {
                    status: 202,
                    executed_version: None,
                    payload: bytes::Bytes::new(),
                    function_error: false,
                    log_tail: None,
                })
            }
            InvocationType::RequestResponse => resolved.run().await,
        }
    }

    /// Resolves an invocation of `raw_name` at `qualifier` to the version it runs (for an alias with
    /// weights, picked now), with AWS's errors for names that do not resolve, without starting it: a
    /// caller that must answer with the version before the result (InvokeWithResponseStream's
    /// `X-Amz-Executed-Version`) then [`ResolvedInvocation::run`]s it.
    pub async fn resolve_invoke(
        &self,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        input: InvokeInput,
    ) -> Result<ResolvedInvocation, EngineError> {
        let f = names::parse_function_name(raw_name, NameKind::Namespaced, scope)?;
        let q = names::resolve_qualifier(f.qualifier, qualifier)?;
        let version = self
            .routed(scope, &f.name, q.as_deref().unwrap_or("$LATEST"))
            .await?
            .pick();
        // The ARN the caller invoked, as the function's context reports it: qualified when a qualifier
        // (a version or alias) was given, in the name or beside it.
        let invoked_function_arn = match &q {
            Some(q) => format!("{}:{q}", version.function_arn),
            None => version.function_arn.clone(),
        };
        let request = InvokeRequest {
            request_id: input.request_id,
            payload: input.payload,
            invoked_function_arn,
            client_context: input.client_context,
            tail: input.tail,
            stream: input.stream,
        };
        Ok(ResolvedInvocation {
            engine: self.clone(),
            version,
            qualifier: q,
            request,
        })
    }
}

/// A synchronous invocation resolved to the version it runs, not started yet (see
/// [`Engine::resolve_invoke`]).
#[derive(Debug)]
pub struct ResolvedInvocation {
    engine: Engine,
    version: Arc<FunctionVersion>,
    /// The qualifier the caller gave, in the name or beside it.
    qualifier: Option<String>,
    request: InvokeRequest,
}

impl ResolvedInvocation {
    /// The version that runs (`X-Amz-Executed-Version`).
    pub fn executed_version(&self) -> &str {
        &self.version.version
    }

    /// Runs it now and waits for its result (for a streamed one, until the stream has ended). Errors
    /// only before the function starts (throttled, no environment).
    pub async fn run(self) -> Result<InvokeOutput, EngineError> {
        let invoked = self
            .engine
            .inner
            .executor
            .invoke(&self.version, self.request)
            .await
            .map_err(|e| match e {
                ExecutionError::Throttled(reason) => EngineError::Throttled(reason.as_str().to_owned()),
                ExecutionError::Platform(message) => EngineError::Internal(message),
            })?;
        Ok(InvokeOutput {
            status: 200,
            executed_version: Some(self.version.version.clone()),
            payload: invoked.payload,
            function_error: invoked.function_error,
            log_tail: invoked.log_tail,
        })
    }
}
