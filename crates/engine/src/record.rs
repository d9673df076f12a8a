//! What the engine stores for a function or a version: the JSON `document` of a store row, and the
//! state changes every operation shares (an update begins, a version is published).

use std::collections::BTreeMap;

use lamina_model::CodeSha256;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::names::Scope;
use crate::wire::{
    EnvironmentResponse, EphemeralStorage, FunctionConfiguration, LayerReference, RuntimeVersionConfig,
    TracingConfig,
};

/// The reason shown while a function is created or updated.
pub(crate) const CREATING_REASON: &str = "The function is being created.";
/// Its code.
pub(crate) const CREATING_CODE: &str = "Creating";

pub(crate) use lamina_model::wire::{LastUpdateStatus as UpdateStatus, State};

/// One function's `$LATEST` configuration, or one published version's frozen copy of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FunctionRecord {
    /// Bare name.
    pub(crate) name: String,
    /// `None` for `$LATEST`, the number for a published version.
    pub(crate) version: Option<u64>,
    /// Runtime identifier.
    pub(crate) runtime: Option<String>,
    /// Handler.
    pub(crate) handler: Option<String>,
    /// Role ARN.
    pub(crate) role: String,
    /// Description.
    pub(crate) description: String,
    /// Seconds.
    pub(crate) timeout: u32,
    /// MB.
    pub(crate) memory_size: u32,
    /// `x86_64` or `arm64`.
    pub(crate) architecture: String,
    /// MB of `/tmp`.
    pub(crate) ephemeral_storage: u32,
    /// Variables, if the member was ever given (an empty map is echoed as such).
    pub(crate) environment: Option<Map<String, Value>>,
    /// `PassThrough` or `Active`.
    pub(crate) tracing_mode: String,
    /// LoggingConfig as given (defaults filled at render time).
    pub(crate) logging_config: Option<Value>,
    /// SnapStart as given.
    pub(crate) snap_start: Option<Value>,
    /// Members stored and echoed verbatim, by wire name.
    pub(crate) echoed: BTreeMap<String, Value>,
    /// The zip's digest (base64 in the document).
    pub(crate) code_sha256: CodeSha256,
    /// Zip size.
    pub(crate) code_size: u64,
    /// The bytes the zip unzips to (`None` in records written before lamina kept it).
    #[serde(default)]
    pub(crate) code_unzipped_size: Option<u64>,
    /// What linting found wrong with the package when it was deployed (accepted as Lambda accepts it):
    /// written into the function's log by each new execution environment, where the user reads it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) package_warnings: Vec<String>,
    /// Layers, in the order `/opt` stacks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) layers: Vec<FunctionLayer>,
    /// Last change, in Lambda's string format.
    pub(crate) last_modified: String,
    /// Changes on every change.
    pub(crate) revision_id: String,
    /// Lifecycle state.
    pub(crate) state: State,
    /// Why not Active.
    pub(crate) state_reason: Option<String>,
    /// Why not Active, as a code.
    pub(crate) state_reason_code: Option<String>,
    /// Outcome of the last update; `None` right after CreateFunction.
    pub(crate) last_update_status: Option<UpdateStatus>,
    /// Why InProgress/Failed.
    pub(crate) last_update_status_reason: Option<String>,
    /// Why InProgress/Failed, as a code.
    pub(crate) last_update_status_reason_code: Option<String>,
    /// Background work that must finish before the function settles (Pending/InProgress end); a
    /// fresh token per change so that a late worker cannot settle a newer change.
    pub(crate) settle_token: Option<String>,
    /// Tags (functions only).
    pub(crate) tags: BTreeMap<String, String>,
    /// Reserved concurrency (functions only).
    pub(crate) reserved_concurrency: Option<u32>,
    /// Highest version number ever published (numbers are never reused).
    pub(crate) last_version: u64,
    /// Fingerprint of code and configuration of the last published version, to answer a
    /// PublishVersion without changes with that version.
    pub(crate) last_published_fingerprint: Option<String>,
    /// While a change settles, the code and layers the function ran before: put back if the new code
    /// or a new layer cannot be unpacked, so a failed update never takes working code away (as on
    /// Lambda).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code_before_update: Option<CodeBefore>,
}

/// A function's code as it was before an update (see [`FunctionRecord::code_before_update`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CodeBefore {
    code_sha256: CodeSha256,
    code_size: u64,
    code_unzipped_size: Option<u64>,
    package_warnings: Vec<String>,
    architecture: String,
    /// The layers (absent in records written before layers were kept: those keep the layers they have).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layers: Option<Vec<FunctionLayer>>,
}

/// What a function keeps of one of its layers (so it keeps working after the layer version is deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FunctionLayer {
    /// The layer version ARN.
    pub(crate) arn: String,
    /// The layer zip's digest (base64 in the document).
    pub(crate) code_sha256: CodeSha256,
    /// Zip size.
    pub(crate) code_size: u64,
    /// The bytes the zip unzips to.
    pub(crate) unzipped_size: u64,
    /// Whether it provides `/opt/bootstrap`.
    pub(crate) has_bootstrap: bool,
}

/// Lambda's timestamp format: `2020-04-10T19:06:32.563+0000`.
pub(crate) fn now_timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// A fresh RevisionId (or settle token).
pub(crate) fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How a configuration is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// Get/Create/Update/Publish answers: with State, LastUpdateStatus, RuntimeVersionConfig.
    Full,
    /// ListFunctions/ListVersionsByFunction items: without them.
    ListItem,
}

impl FunctionRecord {
    /// The wire `Version`.
    pub(crate) fn version_label(&self) -> String {
        match self.version {
            Some(n) => n.to_string(),
            None => "$LATEST".to_owned(),
        }
    }

    /// Gives the record a new RevisionId: every change of a function or version does (Lambda's
    /// precondition for the next change, which names the revision it read).
    pub(crate) fn revise(&mut self) {
        self.revision_id = fresh_id();
    }

    /// Marks a change of `$LATEST` as begun: InProgress until a settle task with the fresh token ends
    /// it, with a new RevisionId.
    pub(crate) fn begin_update(&mut self) {
        self.last_modified = now_timestamp();
        self.revise();
        self.last_update_status = Some(UpdateStatus::InProgress);
        self.last_update_status_reason = Some(CREATING_REASON.into());
        self.last_update_status_reason_code = Some(CREATING_CODE.into());
        self.settle_token = Some(fresh_id());
    }

    /// Remembers the current code and layers before an update replaces them, if the function runs
    /// them (a function that is not Active has no working code to keep).
    pub(crate) fn keep_code_before_update(&mut self) {
        self.code_before_update = (self.state == State::Active).then(|| CodeBefore {
            code_sha256: self.code_sha256,
            code_size: self.code_size,
            code_unzipped_size: self.code_unzipped_size,
            package_warnings: self.package_warnings.clone(),
            architecture: self.architecture.clone(),
            layers: Some(self.layers.clone()),
        });
    }

    /// Puts back the code kept by [`FunctionRecord::keep_code_before_update`]; whether there was any.
    pub(crate) fn restore_code_before_update(&mut self) -> bool {
        let Some(before) = self.code_before_update.take() else {
            return false;
        };
        self.code_sha256 = before.code_sha256;
        self.code_size = before.code_size;
        self.code_unzipped_size = before.code_unzipped_size;
        self.package_warnings = before.package_warnings;
        self.architecture = before.architecture;
        if let Some(layers) = before.layers {
            self.layers = layers;
        }
        true
    }

    /// The digests this record holds besides its own code: its layers', then those of the code and
    /// layers kept by [`FunctionRecord::keep_code_before_update`], so that no sweep removes what a
    /// failed update puts back.
    pub(crate) fn held_code(&self) -> impl Iterator<Item = CodeSha256> + '_ {
        let before = self.code_before_update.iter().flat_map(|b| {
            std::iter::once(b.code_sha256).chain(b.layers.iter().flatten().map(|l| l.code_sha256))
        });
        self.layers.iter().map(|l| l.code_sha256).chain(before)
    }

    /// Forgets the code kept by [`FunctionRecord::keep_code_before_update`] once the change has
    /// settled; returns the digests (code and layers) it named, whose blobs may now be unreferenced.
    pub(crate) fn drop_code_before_update(&mut self) -> Vec<String> {
        let Some(before) = self.code_before_update.take() else {
            return Vec::new();
        };
        std::iter::once(before.code_sha256)
            .chain(before.layers.into_iter().flatten().map(|l| l.code_sha256))
            .map(|sha| sha.to_string())
            .collect()
    }

    /// Freezes `$LATEST` into the next version and advances the function's counters, which changes
    /// `$LATEST`'s RevisionId too (as PublishVersion does on Lambda); the version has a RevisionId of
    /// its own. A version published with new code (CreateFunction or UpdateFunctionCode with
    /// `Publish`) is Pending until the code settles.
    pub(crate) fn publish_next(&mut self, description: Option<String>, pending: bool) -> FunctionRecord {
        self.last_version += 1;
        self.last_published_fingerprint = Some(self.fingerprint());
        self.revise();
        let mut v = self.clone();
        v.version = Some(self.last_version);
        if let Some(d) = description {
            v.description = d;
        }
        v.tags.clear();
        v.reserved_concurrency = None;
        v.revise();
        v.last_modified = now_timestamp();
        v.settle_token = None;
        v.code_before_update = None;
        v.last_update_status_reason = None;
        v.last_update_status_reason_code = None;
        if pending {
            v.state = State::Pending;
            v.state_reason = Some(CREATING_REASON.into());
            v.state_reason_code = Some(CREATING_CODE.into());
            v.last_update_status = None;
        } else {
            v.state = State::Active;
            v.state_reason = None;
            v.state_reason_code = None;
            v.last_update_status = Some(UpdateStatus::Successful);
        }
        v
    }

    /// Hash of everything a published version freezes, to recognise an unchanged `$LATEST`.
    pub(crate) fn fingerprint(&self) -> String {
        let mut frozen = serde_json::json!([
            self.runtime,
            self.handler,
            self.role,
            self.description,
            self.timeout,
            self.memory_size,
            self.architecture,
            self.ephemeral_storage,
            self.environment,
            self.tracing_mode,
            self.logging_config,
            self.snap_start,
            self.echoed,
            self.code_sha256,
        ]);
        // Appended only when present, so functions without layers keep the fingerprints they had.
        if !self.layers.is_empty()
            && let Value::Array(items) = &mut frozen
        {
            items.push(Value::from(
                self.layers.iter().map(|l| l.arn.clone()).collect::<Vec<_>>(),
            ));
        }
        let digest = Sha256::digest(frozen.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Renders the configuration. `arn_qualifier` is appended to the FunctionArn (`$LATEST`, a
    /// version) when the caller asked with a qualifier.
    pub(crate) fn configuration(
        &self,
        scope: &Scope,
        arn_qualifier: Option<&str>,
        view: View,
    ) -> FunctionConfiguration {
        let mut function_arn = scope.function_arn(&self.name);
        if let Some(q) = arn_qualifier {
            function_arn = format!("{function_arn}:{q}");
        }
        let full = view == View::Full;
        let mut logging =
            serde_json::json!({"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", self.name)});
        if let (Some(Value::Object(given)), Value::Object(out)) = (&self.logging_config, &mut logging) {
            for (k, v) in given {
                out.insert(k.clone(), v.clone());
            }
            if out.get("LogFormat").and_then(Value::as_str) == Some("JSON") {
                out.entry("ApplicationLogLevel")
                    .or_insert_with(|| Value::from("INFO"));
                out.entry("SystemLogLevel").or_insert_with(|| Value::from("INFO"));
            }
        }
        let mut snap_start = serde_json::json!({"ApplyOn": "None", "OptimizationStatus": "Off"});
        if let (Some(Value::Object(given)), Value::Object(out)) = (&self.snap_start, &mut snap_start)
            && let Some(apply_on) = given.get("ApplyOn")
        {
            out.insert("ApplyOn".into(), apply_on.clone());
        }
        FunctionConfiguration {
            function_name: self.name.clone(),
            function_arn,
            runtime: self.runtime.clone(),
            role: self.role.clone(),
            handler: self.handler.clone(),
            code_size: self.code_size,
            description: self.description.clone(),
            timeout: self.timeout,
            memory_size: self.memory_size,
            last_modified: self.last_modified.clone(),
            code_sha256: self.code_sha256.to_string(),
            version: self.version_label(),
            environment: self
                .environment
                .clone()
                .map(|variables| EnvironmentResponse { variables }),
            tracing_config: TracingConfig {
                mode: self.tracing_mode.clone(),
            },
            revision_id: self.revision_id.clone(),
            package_type: "Zip".to_owned(),
            architectures: vec![self.architecture.clone()],
            ephemeral_storage: EphemeralStorage {
                size: self.ephemeral_storage,
            },
            snap_start,
            logging_config: logging,
            state: full.then_some(self.state),
            state_reason: if full { self.state_reason.clone() } else { None },
            state_reason_code: if full {
                self.state_reason_code.clone()
            } else {
                None
            },
            last_update_status: if full { self.last_update_status } else { None },
            last_update_status_reason: if full {
                self.last_update_status_reason.clone()
            } else {
                None
            },
            last_update_status_reason_code: if full {
                self.last_update_status_reason_code.clone()
            } else {
                None
            },
            runtime_version_config: (full && self.runtime.is_some()).then(|| RuntimeVersionConfig {
                runtime_version_arn: runtime_version_arn(
                    &scope.region,
                    self.runtime.as_deref().unwrap_or_default(),
                ),
            }),
            layers: self
                .layers
                .iter()
                .map(|l| LayerReference {
                    arn: l.arn.clone(),
                    code_size: l.code_size,
                })
                .collect(),
            echoed: self.echoed.clone(),
        }
    }
}

/// A stable `arn:aws:lambda:<region>::runtime:<64 hex>` per runtime identifier.
fn runtime_version_arn(region: &str, runtime: &str) -> String {
    let digest = Sha256::digest(format!("lamina runtime {runtime}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("arn:aws:lambda:{region}::runtime:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_lambda_format() {
        let ts = now_timestamp();
        let re = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$").expect("re");
        assert!(re.is_match(&ts), "{ts}");
    }

    #[test]
    fn runtime_version_arn_has_aws_shape() {
        let arn = runtime_version_arn("us-east-1", "provided.al2023");
        assert!(arn.starts_with("arn:aws:lambda:us-east-1::runtime:"));
        assert_eq!(arn.len(), "arn:aws:lambda:us-east-1::runtime:".len() + 64);
    }
}
