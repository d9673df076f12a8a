//! The metadata store's contract: rows, errors and the [`MetadataStore`] trait.

/// One function's `$LATEST` state as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRow {
    /// The account the function belongs to (accounts never see each other's functions).
    pub account: String,
    /// The AWS region the function lives in (functions of different regions never see each other).
    pub region: String,
    /// The function name (not an ARN).
    pub name: String,
    /// An opaque revision; [`MetadataStore::replace_function`] succeeds only if the stored row still has
    /// the revision the caller read.
    pub revision: String,
    /// The `CodeSha256` of the package this row references (so unreferenced blobs can be found).
    pub code_sha256: String,
    /// The `CodeSha256`s of the layer versions the function uses, in order (they stay referenced after
    /// their layer version is deleted, as on Lambda).
    pub layer_code: Vec<String>,
    /// Everything else, as JSON only the engine interprets.
    pub document: String,
}

/// One published, immutable version of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// The account of the function.
    pub account: String,
    /// The region of the function.
    pub region: String,
    /// The function name.
    pub name: String,
    /// The version number (1, 2, ...).
    pub version: u64,
    /// The `CodeSha256` of the package this version references.
    pub code_sha256: String,
    /// The `CodeSha256`s of the layer versions this version uses, in order.
    pub layer_code: Vec<String>,
    /// The version's configuration, as JSON only the engine interprets.
    pub document: String,
}

/// One version of a layer. Layer versions are immutable; their numbers count up per layer (account, region
/// and name) and are never reused, even after every version was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerVersionRow {
    /// The account of the layer.
    pub account: String,
    /// The region of the layer.
    pub region: String,
    /// The layer name (not an ARN).
    pub name: String,
    /// The version number (1, 2, ...).
    pub version: u64,
    /// The `CodeSha256` of the layer's zip.
    pub code_sha256: String,
    /// Everything else, as JSON only the engine interprets.
    pub document: String,
}

/// What can go wrong in a metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A function (or version) with this key exists already.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// No row with this key.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The row changed since the caller read it: read it again and retry.
    #[error("{0} was changed concurrently (revision mismatch)")]
    RevisionMismatch(String),
    /// The backend failed (I/O, corruption, lock poisoned).
    #[error("metadata store failure: {0}")]
    Backend(String),
}

/// Durable function metadata. Every method is atomic: it either commits durably before returning `Ok`
/// or changes nothing. Methods block (SQLite does file I/O), so async callers run them on a blocking
/// thread.
pub trait MetadataStore: Send + Sync {
    /// Inserts a new function, and in the same transaction its first version if given.
    /// Fails with [`StoreError::AlreadyExists`] if the name is taken in that account and region.
    fn insert_function(&self, row: &FunctionRow, version: Option<&VersionRow>) -> Result<(), StoreError>;

    /// Reads one function.
    fn get_function(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Option<FunctionRow>, StoreError>;

    /// Lists the functions of an account's region in name order, starting after `after`, at most
    /// `limit` rows.
    fn list_functions(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FunctionRow>, StoreError>;

    /// Every function of every account and region (for recovery at start and server-wide sums).
    fn all_functions(&self) -> Result<Vec<FunctionRow>, StoreError>;

    /// Replaces a function if its stored revision is still `expected_revision`, and in the same
    /// transaction inserts `version` if given. Fails with [`StoreError::NotFound`],
    /// [`StoreError::RevisionMismatch`] or (for the version) [`StoreError::AlreadyExists`].
    fn replace_function(
        &self,
        row: &FunctionRow,
        expected_revision: &str,
        version: Option<&VersionRow>,
    ) -> Result<(), StoreError>;

    /// Deletes a function and all its versions; `false` if it did not exist.
    fn delete_function(&self, account: &str, region: &str, name: &str) -> Result<bool, StoreError>;

    /// Reads one published version.
    fn get_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<VersionRow>, StoreError>;

    /// Lists a function's versions in ascending order, starting after `after`, at most `limit` rows.
    fn list_versions(
        &self,
        account: &str,
        region: &str,
        name: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<VersionRow>, StoreError>;

    /// Every version of every function (for account-wide sums).
    fn all_versions(&self) -> Result<Vec<VersionRow>, StoreError>;

    /// Overwrites an existing version row (its document only changes state, e.g. Pending to Active).
    fn update_version(&self, row: &VersionRow) -> Result<(), StoreError>;

    /// Deletes one version; `false` if it did not exist.
    fn delete_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError>;

    /// Publishes the next version of a layer: takes the layer's next number (one more than the highest
    /// ever published, deleted versions included), asks `document` for the row's document with that
    /// number, and inserts the row, in one transaction. Returns the row as stored.
    fn publish_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        code_sha256: &str,
        document: &dyn Fn(u64) -> String,
    ) -> Result<LayerVersionRow, StoreError>;

    /// Reads one layer version.
    fn get_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRow>, StoreError>;

    /// The versions of one layer (`name`), or of every layer of the account's region (`None`), ordered
    /// by layer name and then version, ascending.
    fn list_layer_versions(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
    ) -> Result<Vec<LayerVersionRow>, StoreError>;

    /// Deletes one layer version; `false` if it did not exist. Its number is not reused.
    fn delete_layer_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError>;

    /// Every `CodeSha256` referenced by a function, a version (their code and their layers) or a layer
    /// version.
    fn referenced_code(&self) -> Result<std::collections::BTreeSet<String>, StoreError>;

    /// Whether a function, version or layer version of `account` (in any region) uses the package
    /// `code_sha256`, as its code or as one of its layers.
    fn account_references_code(&self, account: &str, code_sha256: &str) -> Result<bool, StoreError>;
}
