//! What the engine stores for a layer version: the JSON `document` of its store row.

use serde::{Deserialize, Serialize};

/// What the engine stores for a layer version: the `document` of its store row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LayerRecord {
    /// As given.
    pub(crate) description: Option<String>,
    /// When it was published.
    pub(crate) created_date: String,
    /// As given.
    pub(crate) compatible_runtimes: Option<Vec<String>>,
    /// As given.
    pub(crate) compatible_architectures: Option<Vec<String>>,
    /// As given.
    pub(crate) license_info: Option<String>,
    /// Zip size.
    pub(crate) code_size: u64,
    /// The bytes the zip unzips to.
    pub(crate) unzipped_size: u64,
    /// Whether the zip has a `bootstrap` at its root (`/opt/bootstrap`).
    pub(crate) has_bootstrap: bool,
}
