//! What every deploy shares (CreateFunction, UpdateFunctionCode, PublishLayerVersion): the package's
//! source (the inline `ZipFile`, staged already, or an S3 object), checking and linting it, committing
//! the blob, and sweeping blobs nothing references any more.

use lamina_model::CodeSha256;

use crate::code::{self, Lint, PackageUse, StagedCode};
use crate::names::Scope;
use crate::record::FunctionRecord;
use crate::s3::S3Location;
use crate::{Engine, EngineError};

/// A result with the lint warnings of the package it deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployed<T> {
    /// The operation's answer.
    pub value: T,
    /// What `lamina_package::inspect` found wrong with the package (empty when clean).
    pub warnings: Vec<String>,
}

/// The S3 members of a code source (CreateFunction's `Code`, UpdateFunctionCode's body).
#[derive(Debug, Clone, Copy)]
pub(crate) struct S3Members<'a> {
    pub(crate) bucket: Option<&'a str>,
    pub(crate) key: Option<&'a str>,
    pub(crate) version: Option<&'a str>,
}

impl S3Members<'_> {
    pub(crate) fn any(&self) -> bool {
        self.bucket.is_some() || self.key.is_some() || self.version.is_some()
    }
}

impl Engine {
    /// The package of a CreateFunction / UpdateFunctionCode: the inline `ZipFile` (staged already), or
    /// the S3 object, fetched now for the caller's region. Both, or neither, is AWS's error.
    pub(crate) async fn resolve_code(
        &self,
        scope: &Scope,
        staged: Option<StagedCode>,
        s3: S3Members<'_>,
    ) -> Result<StagedCode, EngineError> {
        match (staged, S3Location::from_members(s3.bucket, s3.key, s3.version)) {
            (Some(_), _) if s3.any() => Err(EngineError::InvalidParameter(
                "Please do not provide other FunctionCode parameters when providing a ZipFile.".into(),
            )),
            (Some(staged), _) => Ok(staged),
            (None, Some(location)) => self.stage_s3(scope, &location).await,
            (None, None) => Err(EngineError::InvalidParameter(
                "Please provide a source for function code.".into(),
            )),
        }
    }

    /// Checks and lints a staged package (blocking work, off the runtime).
    /// `subject` names what is deployed in the server's log (`CreateFunction hello`).
    pub(crate) async fn check_package(
        &self,
        subject: &str,
        staged: StagedCode,
        arch: Option<String>,
        usage: PackageUse,
    ) -> Result<(StagedCode, Lint), EngineError> {
        let strict = self.inner.strict;
        let usage_kind = usage.clone();
        let arch_for_support = arch
            .as_deref()
            .and_then(|a| a.parse::<lamina_model::Architecture>().ok());
        let (staged, lint) = tokio::task::spawn_blocking(move || {
            let lint = code::check_package(staged.blob.path(), arch.as_deref(), &usage);
            (staged, lint)
        })
        .await
        .map_err(EngineError::task("checking the package"))?;
        let mut lint = lint?;
        // Lambda takes a function of either architecture; one this server cannot run is said at deploy,
        // not first at invoke.
        if let PackageUse::Function {
            runtime: Some(runtime),
            ..
        } = &usage_kind
            && !runtime.starts_with("provided")
        {
            lint.warnings.push(format!(
                "lamina runs only the OS-only runtimes (provided.al2023, provided.al2), which start the package's \
                 bootstrap: this {runtime} function is created, as Lambda would, but every invoke will answer \
                 Runtime.Unsupported. Deploy it as provided.al2023 with a bootstrap instead."
            ));
        }
        if let (PackageUse::Function { .. }, Some(arch)) = (&usage_kind, arch_for_support)
            && let lamina_execution::ArchitectureSupport::Unavailable(why) =
                self.inner.executor.isolation().runs(arch)
        {
            lint.warnings.push(format!(
                "this server cannot run {arch} functions: {why}. The function is created, as Lambda would, \
                 but every invoke will fail with exec format error."
            ));
        }
        // One line per problem, each naming the deploy: what a user watching the server's terminal reads.
        for warning in &lint.warnings {
            tracing::warn!(code_sha256 = %staged.code_sha256(), "{subject}: accepted, but: {warning}");
        }
        if strict && !lint.warnings.is_empty() {
            return Err(EngineError::InvalidParameter(lint.warnings.join(" ")));
        }
        Ok((staged, lint))
    }

    /// The unzipped size of a record's code (kept since layers; read from the blob for older records).
    pub(crate) async fn code_unzipped_size(&self, record: &FunctionRecord) -> Result<u64, EngineError> {
        if let Some(n) = record.code_unzipped_size {
            return Ok(n);
        }
        let sha = record.code_sha256;
        self.blocking(move |inner| match inner.code.path(&sha)? {
            Some(path) => code::unzipped_size(&path),
            None => Ok(0),
        })
        .await
    }

    /// Commits a staged blob to the store (fsync + rename); the caller holds the code lock.
    pub(crate) async fn commit_blob(&self, staged: StagedCode) -> Result<CodeSha256, EngineError> {
        self.blocking(move |inner| {
            let digest = inner.code.commit(staged.blob).map_err(code::code_store_failure)?;
            Ok(digest.code_sha256())
        })
        .await
    }

    /// Deletes blobs (and their unpacked trees) that nothing references any more; `candidates` are
    /// `CodeSha256`s as store rows hold them. The caller holds the code lock. Failures are logged: an
    /// orphan blob is harmless and swept at the next start.
    pub(crate) async fn sweep_unreferenced(&self, candidates: Vec<String>) {
        self.sweep(candidates, Sweep::BlobsAndUnpacked).await;
    }

    /// Deletes the blobs that nothing references any more of code an update replaced. Their unpacked
    /// trees stay until the next start: an invocation that began before the update may still be
    /// running that code (as on Lambda, it finishes with it).
    pub(crate) async fn sweep_replaced(&self, candidates: Vec<String>) {
        self.sweep(candidates, Sweep::BlobsOnly).await;
    }

    async fn sweep(&self, candidates: Vec<String>, what: Sweep) {
        let result = self
            .blocking(move |inner| {
                let referenced = inner.meta.referenced_code()?;
                for sha in candidates.iter().filter(|s| !referenced.contains(*s)) {
                    let sha = CodeSha256::from_base64(sha)?;
                    inner.code.remove(&sha)?;
                    if what == Sweep::BlobsAndUnpacked {
                        inner.unpacked.remove(&sha);
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::warn!("could not remove unreferenced code: {}", e.display_chain());
        }
    }
}

/// What a sweep of unreferenced code removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sweep {
    BlobsAndUnpacked,
    BlobsOnly,
}
