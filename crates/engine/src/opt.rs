//! The directory a function's environments see as `/opt`: nothing without layers, the one layer's
//! unpacked directory, or the stack of several (module `stacks`). Each layer zip is unpacked once, like
//! function code (`unpacked/<hex sha256>`).

use std::path::PathBuf;

use lamina_model::CodeSha256;

use crate::code::{UnpackFailure, unpack};
use crate::record::FunctionLayer;
use crate::{Engine, EngineError, Inner};

impl Engine {
    /// The directory a function with `layers` sees as `/opt`: built (unpacked, stacked) if needed.
    pub(crate) async fn opt_dir(&self, layers: &[FunctionLayer]) -> Result<Option<PathBuf>, EngineError> {
        let digests: Vec<CodeSha256> = layers.iter().map(|l| l.code_sha256).collect();
        // Every invocation asks: once built, the directory is found without leaving the runtime.
        let built = match digests.as_slice() {
            [] => return Ok(None),
            [one] => self.inner.unpacked.dir(one),
            _ => self.inner.stacks.path(&digests),
        };
        if built.is_dir() {
            return Ok(Some(built));
        }
        self.blocking(move |inner| {
            build_opt_dir(inner, &digests).map_err(|e| EngineError::Internal(e.to_string()))
        })
        .await
    }
}

/// Unpacks each layer (once per zip) and returns the directory that is `/opt` for the layers with these
/// digests: the one layer's unpacked directory, or the stack of several.
pub(crate) fn build_opt_dir(inner: &Inner, layers: &[CodeSha256]) -> Result<Option<PathBuf>, UnpackFailure> {
    let mut dirs = Vec::with_capacity(layers.len());
    for layer in layers {
        dirs.push((*layer, unpack(inner, layer)?));
    }
    match dirs.as_slice() {
        [] => Ok(None),
        [(_, one)] => Ok(Some(one.clone())),
        _ => inner
            .stacks
            .ensure(&dirs)
            .map(Some)
            .map_err(UnpackFailure::Package),
    }
}
