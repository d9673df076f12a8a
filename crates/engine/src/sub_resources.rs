//! Sub-resources: what belongs to a function qualifier, a layer version or the account besides their own
//! rows (aliases, policies, asynchronous invocation settings, URL configurations, per-function settings,
//! code signing configurations). Each is a typed document in a store sub-resource row; this module reads
//! them and holds the one read-modify-write loop every change goes through (its write goes through
//! `writes`, which forgets cached resolutions of the function).
//!
//! A function's qualifier names what a sub-resource applies to: [`Qualified`] tells the kinds apart
//! (`$LATEST`, a version number, an alias) once, for every operation.

use lamina_store::{Owner, StoreError, SubResourceKey, SubResourceKind, SubResourceRow, WriteCondition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::aliases::cannot_find_alias;
use crate::names::Scope;
use crate::not_found::function_not_found;
use crate::paging::paginate;
use crate::record::fresh_id;
use crate::validate;
use crate::{Engine, EngineError};

/// A stored sub-resource: its document and the row's revision (the `RevisionId` AWS shows for aliases
/// and policies).
#[derive(Debug, Clone)]
pub(crate) struct Stored<D> {
    /// Changes with every write.
    pub(crate) revision: String,
    /// The document.
    pub(crate) doc: D,
}

/// What a change decided (see [`Engine::change_sub_resource`]).
pub(crate) enum Change<D, T> {
    /// Write nothing; answer `T`.
    Keep(T),
    /// Write this document (routing to these function versions, for an alias); answer `T`.
    Write {
        /// The new document.
        doc: D,
        /// The versions it routes to (see `SubResourceRow::versions`).
        versions: Vec<u64>,
        /// The answer.
        out: T,
    },
    /// Delete the row; answer `T`.
    Delete(T),
}

/// What a function qualifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Qualified {
    /// No qualifier: the function as a whole.
    Function,
    /// `$LATEST`.
    Latest,
    /// A published version (digits; too large a number names none: `u64::MAX`).
    Version(u64),
    /// Anything else: an alias name.
    Alias(String),
}

impl Qualified {
    /// What `qualifier` names.
    pub(crate) fn of(qualifier: Option<&str>) -> Qualified {
        match qualifier {
            None => Qualified::Function,
            Some("$LATEST") => Qualified::Latest,
            Some(q) if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) => {
                Qualified::Version(q.parse().unwrap_or(u64::MAX))
            }
            Some(q) => Qualified::Alias(q.to_owned()),
        }
    }

    /// What a qualifier names for a function's policy: `$LATEST` and the unqualified function share one.
    pub(crate) fn of_policy(qualifier: Option<&str>) -> Qualified {
        match Qualified::of(qualifier) {
            Qualified::Latest => Qualified::Function,
            other => other,
        }
    }

    /// The store key of a sub-resource of this qualifier (`""` for the function as a whole).
    pub(crate) fn key(&self) -> String {
        match self {
            Qualified::Function => String::new(),
            Qualified::Latest => "$LATEST".to_owned(),
            Qualified::Version(n) => n.to_string(),
            Qualified::Alias(name) => name.clone(),
        }
    }
}

/// A function and what its qualifier names, as an operation on a qualifier's sub-resource took them.
pub(crate) struct Target {
    /// The function.
    pub(crate) name: String,
    /// What the qualifier names.
    pub(crate) qualified: Qualified,
    /// The ARN the operation's answer names.
    pub(crate) arn: String,
}

impl Target {
    /// Checks `operation`'s input against the model (`body`, with `FunctionName` and `Qualifier`) and
    /// names its target: the function and its qualifier (the `Qualifier` member or the name's ARN's);
    /// the ARN is the function's, qualified when a qualifier was given.
    pub(crate) fn checked<B: Serialize>(
        operation: &str,
        scope: &Scope,
        raw_name: &str,
        qualifier: Option<&str>,
        body: &B,
    ) -> Result<Target, EngineError> {
        let members = [("Qualifier", validate::optional(qualifier))];
        let f = validate::function_input(operation, raw_name, body, &members, scope)?;
        let q = crate::names::resolve_qualifier(f.qualifier, qualifier)?;
        let arn = match &q {
            Some(q) => format!("{}:{q}", scope.function_arn(&f.name)),
            None => scope.function_arn(&f.name),
        };
        Ok(Target {
            name: f.name,
            qualified: Qualified::of(q.as_deref()),
            arn,
        })
    }

    /// The same target, with no qualifier standing for `$LATEST` (for settings kept per version).
    pub(crate) fn unqualified_is_latest(mut self) -> Target {
        if self.qualified == Qualified::Function {
            self.qualified = Qualified::Latest;
        }
        self
    }

    /// The key of the sub-resource of `kind` of this qualifier.
    pub(crate) fn key(&self, scope: &Scope, kind: SubResourceKind) -> SubResourceKey {
        function_key(scope, &self.name, kind, &self.qualified.key())
    }
}

/// The key of a function's sub-resource.
pub(crate) fn function_key(scope: &Scope, name: &str, kind: SubResourceKind, key: &str) -> SubResourceKey {
    SubResourceKey {
        account: scope.account.clone(),
        region: scope.region.clone(),
        owner: Owner::Function(name.to_owned()),
        kind,
        key: key.to_owned(),
    }
}

fn parse<D: DeserializeOwned>(row: SubResourceRow) -> Result<(SubResourceKey, Stored<D>), EngineError> {
    let doc = serde_json::from_str(&row.document)?;
    Ok((
        row.key,
        Stored {
            revision: row.revision,
            doc,
        },
    ))
}

impl Engine {
    /// Checks that what a qualifier names exists: the function, and the version (AWS's `Function not
    /// found`) or alias (`Cannot find alias arn`) it names.
    pub(crate) async fn check_qualifier_exists(
        &self,
        scope: &Scope,
        name: &str,
        qualified: &Qualified,
    ) -> Result<(), EngineError> {
        if self.load(scope, name).await?.is_none() {
            return Err(function_not_found(scope, name, None));
        }
        match qualified {
            Qualified::Function | Qualified::Latest => Ok(()),
            Qualified::Version(_) => self
                .resolve_version(scope, name, &qualified.key())
                .await
                .map(|_| ()),
            Qualified::Alias(alias) => match self.alias(scope, name, alias).await? {
                Some(_) => Ok(()),
                None => Err(cannot_find_alias(scope, name, alias)),
            },
        }
    }

    /// Reads one sub-resource.
    pub(crate) async fn sub_resource<D: DeserializeOwned + Send + 'static>(
        &self,
        key: SubResourceKey,
    ) -> Result<Option<Stored<D>>, EngineError> {
        self.blocking(move |inner| {
            inner
                .meta
                .get_sub_resource(&key)?
                .map(|row| parse(row).map(|(_, stored)| stored))
                .transpose()
        })
        .await
    }

    /// The sub-resources of one kind in `scope`, of one owner or of all, ordered by owner and key.
    pub(crate) async fn sub_resources<D: DeserializeOwned + Send + 'static>(
        &self,
        scope: &Scope,
        owner: Option<Owner>,
        kind: SubResourceKind,
    ) -> Result<Vec<(SubResourceKey, Stored<D>)>, EngineError> {
        let place = scope.clone();
        self.blocking(move |inner| {
            inner
                .meta
                .list_sub_resources(&place.account, &place.region, owner.as_ref(), kind)?
                .into_iter()
                .map(parse)
                .collect()
        })
        .await
    }

    /// The function a List operation of its sub-resources names, after checking the input against the
    /// model (`FunctionName`, `Marker`, `MaxItems`) and that the function exists (`missing` otherwise).
    pub(crate) async fn listed_function(
        &self,
        operation: &str,
        scope: &Scope,
        raw_name: &str,
        (marker, max_items): (Option<&str>, Option<i64>),
        missing: EngineError,
    ) -> Result<String, EngineError> {
        let members = [
            ("Marker", validate::optional(marker)),
            ("MaxItems", validate::optional(max_items)),
        ];
        let f = validate::function_input(operation, raw_name, &(), &members, scope)?;
        match self.load(scope, &f.name).await? {
            Some(_) => Ok(f.name),
            None => Err(missing),
        }
    }

    /// One page (after `marker`, at most `max_items`, 50 by default) of the sub-resources of one kind of
    /// `owner`, in key order, each made an item and its marker by `item` (`None` leaves it out).
    pub(crate) async fn sub_resource_page<D, T>(
        &self,
        scope: &Scope,
        owner: Owner,
        kind: SubResourceKind,
        marker: Option<&str>,
        max_items: Option<i64>,
        item: impl Fn(&SubResourceKey, Stored<D>) -> Option<(String, T)>,
    ) -> Result<(Vec<T>, Option<String>), EngineError>
    where
        D: DeserializeOwned + Send + 'static,
    {
        let rows = self.sub_resources::<D>(scope, Some(owner), kind).await?;
        let items = rows
            .into_iter()
            .filter_map(|(key, stored)| item(&key, stored))
            .collect();
        let limit = usize::try_from(max_items.unwrap_or(50)).unwrap_or(50);
        Ok(paginate(items, marker, limit))
    }

    /// Read-modify-write of one sub-resource with compare-and-swap retries: `change` runs on the freshly
    /// read document (or `None`) each time and decides what to write. Answers what `change` answered and
    /// the row's revision afterwards (`None` when there is no row). When what the row hangs on is gone
    /// (its function, version or alias, deleted meanwhile), the answer is `gone`.
    pub(crate) async fn change_sub_resource<D, T, F>(
        &self,
        scope: &Scope,
        key: SubResourceKey,
        gone: EngineError,
        change: F,
    ) -> Result<(T, Option<String>), EngineError>
    where
        D: Serialize + DeserializeOwned + Send + 'static,
        T: Send + 'static,
        F: Fn(Option<Stored<D>>) -> Result<Change<D, T>, EngineError> + Send + 'static,
    {
        let place = scope.clone();
        self.blocking(move |inner| {
            loop {
                let current = inner.meta.get_sub_resource(&key)?;
                let revision = current.as_ref().map(|row| row.revision.clone());
                let stored = current.map(parse::<D>).transpose()?.map(|(_, stored)| stored);
                let written = match change(stored)? {
                    Change::Keep(out) => return Ok((out, revision)),
                    Change::Write { doc, versions, out } => {
                        let row = SubResourceRow {
                            key: key.clone(),
                            revision: fresh_id(),
                            versions,
                            document: serde_json::to_string(&doc)?,
                        };
                        let condition = match &revision {
                            Some(r) => WriteCondition::Revision(r.clone()),
                            None => WriteCondition::Absent,
                        };
                        inner
                            .write_sub_resources(&place, &key.owner, |meta| {
                                meta.put_sub_resource(&row, &condition)
                            })
                            .map(|()| (out, Some(row.revision)))
                    }
                    Change::Delete(out) => inner
                        .write_sub_resources(&place, &key.owner, |meta| {
                            meta.delete_sub_resource(&key, revision.as_deref())
                        })
                        .map(|_| (out, None)),
                };
                match written {
                    Ok(out) => return Ok(out),
                    // Another writer won: read again and decide again.
                    Err(StoreError::RevisionMismatch(_) | StoreError::AlreadyExists(_)) => continue,
                    Err(StoreError::NotFound(_)) if revision.is_some() => continue,
                    Err(StoreError::NotFound(_)) => return Err(gone),
                    Err(e) => return Err(e.into()),
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_told_apart() {
        assert_eq!(Qualified::of(None), Qualified::Function);
        assert_eq!(Qualified::of(Some("$LATEST")), Qualified::Latest);
        assert_eq!(Qualified::of(Some("12")), Qualified::Version(12));
        assert_eq!(
            Qualified::of(Some("99999999999999999999999")),
            Qualified::Version(u64::MAX)
        );
        assert_eq!(Qualified::of(Some("live")), Qualified::Alias("live".into()));
        assert_eq!(Qualified::of(Some("1a")), Qualified::Alias("1a".into()));
        assert_eq!(Qualified::Version(3).key(), "3");
        assert_eq!(Qualified::Function.key(), "");
    }
}
