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
    /// their layer version is deleted, as on Lambda), then those of the code and layers an unsettled
    /// update may still put back.
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

/// What a sub-resource belongs to. A sub-resource is deleted with its owner: a function's with the
/// function, a layer version's with that version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A function. The key of its sub-resources is the qualifier they apply to: `""` for the function as
    /// a whole, `$LATEST`, a version number or an alias name.
    Function(String),
    /// A layer. The key of its sub-resources is the layer version's number.
    Layer(String),
    /// The account's region itself (code signing configurations, by id).
    Account,
}

impl Owner {
    /// The owner's kind as stored (`function`, `layer`, `account`) and its name (`""` for the account).
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Owner::Function(name) => ("function", name),
            Owner::Layer(name) => ("layer", name),
            Owner::Account => ("account", ""),
        }
    }

    /// The owner of stored parts (the inverse of [`Owner::parts`]).
    pub fn from_parts(kind: &str, name: &str) -> Option<Owner> {
        match kind {
            "function" => Some(Owner::Function(name.to_owned())),
            "layer" => Some(Owner::Layer(name.to_owned())),
            "account" => Some(Owner::Account),
            _ => None,
        }
    }
}

/// The kinds of sub-resources: each is a JSON document the engine alone interprets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubResourceKind {
    /// A function's alias (key: the alias name). Deleting it deletes every sub-resource of its qualifier.
    Alias,
    /// The resource-based policy of a function qualifier or of a layer version.
    Policy,
    /// The asynchronous invocation settings of a function qualifier.
    EventInvokeConfig,
    /// The function URL of a function or alias.
    UrlConfig,
    /// A function's recursive loop detection setting (key `""`).
    RecursionConfig,
    /// The runtime update mode of a function qualifier.
    RuntimeManagementConfig,
    /// The code signing configuration a function uses (key `""`).
    CodeSigningBinding,
    /// An account's code signing configuration (owner [`Owner::Account`], key: its id).
    CodeSigningConfig,
    /// The provisioned concurrency of a version or alias.
    ProvisionedConcurrency,
}

impl SubResourceKind {
    /// Every kind.
    pub const ALL: [SubResourceKind; 9] = [
        SubResourceKind::Alias,
        SubResourceKind::Policy,
        SubResourceKind::EventInvokeConfig,
        SubResourceKind::UrlConfig,
        SubResourceKind::RecursionConfig,
        SubResourceKind::RuntimeManagementConfig,
        SubResourceKind::CodeSigningBinding,
        SubResourceKind::CodeSigningConfig,
        SubResourceKind::ProvisionedConcurrency,
    ];

    /// The kind as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SubResourceKind::Alias => "alias",
            SubResourceKind::Policy => "policy",
            SubResourceKind::EventInvokeConfig => "event-invoke-config",
            SubResourceKind::UrlConfig => "url-config",
            SubResourceKind::RecursionConfig => "recursion-config",
            SubResourceKind::RuntimeManagementConfig => "runtime-management-config",
            SubResourceKind::CodeSigningBinding => "code-signing-binding",
            SubResourceKind::CodeSigningConfig => "code-signing-config",
            SubResourceKind::ProvisionedConcurrency => "provisioned-concurrency",
        }
    }

    /// The kind stored as `s`.
    pub fn parse(s: &str) -> Option<SubResourceKind> {
        SubResourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where one sub-resource is: `(account, region, owner, kind, key)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubResourceKey {
    /// The account of the owner.
    pub account: String,
    /// The region of the owner.
    pub region: String,
    /// What it belongs to.
    pub owner: Owner,
    /// What it is.
    pub kind: SubResourceKind,
    /// Which one: a qualifier, a layer version number or an id (see [`Owner`]).
    pub key: String,
}

/// One stored sub-resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubResourceRow {
    /// Where it is.
    pub key: SubResourceKey,
    /// An opaque revision, new with every write: [`WriteCondition::Revision`] compares it.
    pub revision: String,
    /// The published versions of its function it routes to (an alias's): while a row names a version,
    /// that version cannot be deleted ([`StoreError::InUse`]), and a row naming a version that does not
    /// exist is not written.
    pub versions: Vec<u64>,
    /// Everything else, as JSON only the engine interprets.
    pub document: String,
}

/// When [`MetadataStore::put_sub_resource`] may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// Only if no row has the key (create); else [`StoreError::AlreadyExists`].
    Absent,
    /// Only if the row exists with this revision (update); else [`StoreError::NotFound`] or
    /// [`StoreError::RevisionMismatch`].
    Revision(String),
    /// Whether or not a row has the key (put).
    Any,
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
    /// A version cannot be deleted while these sub-resources (their keys: alias names) route to it.
    #[error("in use by {0:?}")]
    InUse(Vec<String>),
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

    /// Deletes a function, all its versions and all its sub-resources; `false` if it did not exist.
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

    /// Deletes one version and the sub-resources of its qualifier; `false` if it did not exist. Fails
    /// with [`StoreError::InUse`] (naming their keys) while sub-resources route to it.
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

    /// Deletes one layer version and its sub-resources; `false` if it did not exist. Its number is not
    /// reused.
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

    /// Reads one sub-resource.
    fn get_sub_resource(&self, key: &SubResourceKey) -> Result<Option<SubResourceRow>, StoreError>;

    /// The sub-resources of one kind in an account's region, of one owner (or of every owner, `None`),
    /// ordered by owner and key.
    fn list_sub_resources(
        &self,
        account: &str,
        region: &str,
        owner: Option<&Owner>,
        kind: SubResourceKind,
    ) -> Result<Vec<SubResourceRow>, StoreError>;

    /// Every sub-resource of one kind, of every account and region (for work at start, such as
    /// provisioned environments).
    fn all_sub_resources(&self, kind: SubResourceKind) -> Result<Vec<SubResourceRow>, StoreError>;

    /// Writes a sub-resource if `condition` holds, in one transaction that also checks what it hangs
    /// on, failing with [`StoreError::NotFound`] when any of it is missing: its owner (a function, or
    /// the layer version its key names), for a function's sub-resource the version its key names (a
    /// number) or the alias it names (a key that is neither `""`, `$LATEST` nor a number, for every
    /// kind but [`SubResourceKind::Alias`]), and each of [`SubResourceRow::versions`].
    fn put_sub_resource(&self, row: &SubResourceRow, condition: &WriteCondition) -> Result<(), StoreError>;

    /// Deletes a sub-resource if its revision is still `expected_revision` (when given:
    /// [`StoreError::RevisionMismatch`] otherwise); `false` if it did not exist. Deleting an alias also
    /// deletes every sub-resource of its qualifier.
    fn delete_sub_resource(
        &self,
        key: &SubResourceKey,
        expected_revision: Option<&str>,
    ) -> Result<bool, StoreError>;
}
